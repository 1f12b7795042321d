"""The semantic layer (MetricFlow, README "Semantic layer") on the built demo warehouse.

The dbt project is parsed into a private folder (symlinks to the project's files, its own
target/ and a copy of the session's demo warehouse), because `mf` reads
<project>/target/semantic_manifest.json and opens the warehouse read-write. Then:
- `mf validate-configs` validates the semantic manifest, also against the warehouse;
- the README's `mf query` examples run as they are written, and their numbers equal the
  scorecard's (or, re-aggregated, its summed numerators over summed denominators);
- every KPI metric reproduces every scorecard row it covers, and every saved query runs.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from nyckeltal import catalogue, semantic

pytestmark = pytest.mark.dbt

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKER = Path(__file__).resolve().parent / "semantic_query_worker.py"
PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds")


@dataclass(frozen=True)
class SemanticProject:
    root: Path
    environment: dict[str, str]
    scorecard: pd.DataFrame
    acquisition: pd.DataFrame

    def run(self, command: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            command,
            cwd=self.root,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def query(self, requests: list[dict]) -> list[pd.DataFrame]:
        """The rows of each request, through dbt-metricflow in a process of its own."""
        requests_file, results_file = self.root / "requests.json", self.root / "results.json"
        requests_file.write_text(json.dumps(requests), encoding="utf-8")
        done = self.run(
            [sys.executable, str(WORKER), str(self.root), str(requests_file), str(results_file)]
        )
        assert done.returncode == 0, done.stderr[-4000:]
        results = json.loads(results_file.read_text(encoding="utf-8"))
        return [pd.DataFrame.from_records(rows) for rows in results]


@pytest.fixture(scope="module")
def semantic_project(dbt_built_warehouse, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("semantic_project")
    for name in PROJECT_ENTRIES:
        (root / name).symlink_to(PROJECT / name)
    (root / "tests").mkdir()
    (root / "tests" / "dbt").symlink_to(PROJECT / "tests" / "dbt")
    warehouse = root / "nyckeltal.duckdb"
    shutil.copyfile(dbt_built_warehouse("demo"), warehouse)
    environment = {
        **os.environ,
        "NYCKELTAL_TARGET": "duckdb",
        "NYCKELTAL_WAREHOUSE": str(warehouse),
        "DBT_PROJECT_DIR": str(root),
        "DBT_PROFILES_DIR": str(root),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        scorecard = connection.sql("select * from marts.kpi_scorecard").df()
        acquisition = connection.sql("select * from marts.customer_acquisition_cost_monthly").df()
    project = SemanticProject(root, environment, scorecard, acquisition)
    parsed = project.run([str(BIN / "dbt"), "parse"])
    assert parsed.returncode == 0, parsed.stdout[-4000:]
    assert (root / "target" / "semantic_manifest.json").exists()
    return project


def _metric_names(project: SemanticProject) -> set[str]:
    manifest = json.loads((project.root / "target" / "semantic_manifest.json").read_text())
    return {metric["name"] for metric in manifest["metrics"]}


def _same(actual: float | None, expected: float | None) -> bool:
    missing = [
        value is None or (isinstance(value, float) and math.isnan(value))
        for value in (actual, expected)
    ]
    if any(missing):
        return all(missing)
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def _assert_series_equal(actual: dict, expected: dict, what: str) -> None:
    assert set(actual) == set(expected), f"{what}: keys differ"
    wrong = {
        key: (actual[key], expected[key])
        for key in expected
        if not _same(actual[key], expected[key])
    }
    assert not wrong, f"{what}: {len(wrong)} values differ, e.g. {list(wrong.items())[:3]}"
    assert any(value is not None and not pd.isna(value) for value in expected.values())


def _date(value: object) -> str:
    return str(value)[:10]


# --- the manifest -------------------------------------------------------------------------


def test_mf_validate_configs_passes_against_the_warehouse(
    semantic_project: SemanticProject,
) -> None:
    """dbt parse built the semantic manifest; MetricFlow validates it, the semantic models,
    dimensions, measures and metrics also by querying the demo warehouse."""
    done = semantic_project.run([str(BIN / "mf"), "validate-configs"])
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    summaries = re.findall(
        r"Successfully validated .*?\(ERRORS: (\d+), FUTURE_ERRORS: (\d+), WARNINGS: (\d+)\)",
        output,
    )
    assert len(summaries) >= 6, output[
        -4000:
    ]  # the manifest, then each check against the warehouse
    assert all(summary == ("0", "0", "0") for summary in summaries), output[-4000:]


def test_every_kpi_of_the_catalogue_has_its_metrics(semantic_project: SemanticProject) -> None:
    names = _metric_names(semantic_project)
    for kpi in catalogue.kpis():
        assert kpi.code in names
        assert (f"{kpi.code}_by_segment" in names) == semantic.has_segment_metric(kpi), kpi.code
    assert sum(semantic.has_segment_metric(kpi) for kpi in catalogue.kpis()) >= 10


def test_time_spine_is_configured_and_covers_every_period(
    semantic_project: SemanticProject,
) -> None:
    manifest = json.loads((semantic_project.root / "target" / "semantic_manifest.json").read_text())
    spines = manifest["project_configuration"]["time_spines"]
    assert [spine["primary_column"]["name"] for spine in spines] == ["date_day"]
    with duckdb.connect(semantic_project.environment["NYCKELTAL_WAREHOUSE"], read_only=True) as db:
        first, last, days = db.sql(
            "select min(date_day), max(date_day), count(distinct date_day) "
            "from semantic.metricflow_time_spine"
        ).fetchone()
    scorecard = semantic_project.scorecard
    assert first <= scorecard["period_start"].min().date()
    assert last >= scorecard["period_end"].max().date()
    assert days == (last - first).days + 1


# --- the README's examples ----------------------------------------------------------------


def _totals(scorecard: pd.DataFrame, code: str) -> pd.DataFrame:
    return scorecard[(scorecard["kpi_code"] == code) & (scorecard["segment_type"] == "total")]


def _check_monthly_churn(project: SemanticProject, rows: list[dict]) -> None:
    expected = {
        _date(r.period_start): r.value
        for r in _totals(project.scorecard, "churn_rate").itertuples()
    }
    actual = {_date(row["metric_time__month"]): float(row["churn_rate"]) for row in rows}
    _assert_series_equal(actual, expected, "churn_rate by month")
    assert [row["metric_time__month"] for row in rows] == sorted(
        row["metric_time__month"] for row in rows
    )


def _check_quarterly_pooled(project: SemanticProject, rows: list[dict]) -> None:
    for code in ("churn_rate", "net_revenue_retention"):
        totals = _totals(project.scorecard, code).copy()
        totals["quarter"] = (
            totals["period_start"].dt.to_period("Q").dt.start_time.dt.strftime("%Y-%m-%d")
        )
        sums = totals.groupby("quarter")[["numerator", "denominator"]].sum()
        expected = (100 * sums["numerator"] / sums["denominator"]).to_dict()
        actual = {_date(row["metric_time__quarter"]): float(row[code]) for row in rows}
        _assert_series_equal(actual, expected, f"{code} by quarter")
        # pooled, not the average of the monthly values
        means = totals.groupby("quarter")["value"].mean().to_dict()
        assert any(not _same(actual[key], means[key]) for key in means)


def _check_churn_by_plan(project: SemanticProject, rows: list[dict]) -> None:
    card = project.scorecard
    plans = card[(card["kpi_code"] == "churn_rate") & (card["segment_type"] == "plan")]
    expected = {(_date(r.period_start), r.segment_value): r.value for r in plans.itertuples()}
    actual = {
        (_date(row["metric_time__month"]), row["scorecard__segment_value"]): float(
            row["churn_rate_by_segment"]
        )
        for row in rows
    }
    _assert_series_equal(actual, expected, "churn_rate by plan")


def _check_roi_per_campaign(project: SemanticProject, rows: list[dict]) -> None:
    card = project.scorecard
    campaigns = card[card["kpi_code"] == "roi_12m"]
    expected = dict(zip(campaigns["segment_value"], campaigns["value"], strict=True))
    actual = {row["scorecard__segment_value"]: _float(row["roi_12m"]) for row in rows}
    _assert_series_equal(actual, expected, "roi_12m per campaign")


def _check_ltv_and_payback(project: SemanticProject, rows: list[dict]) -> None:
    for code in ("ltv", "cac_payback_months"):
        expected = {
            _date(r.period_start): r.value for r in _totals(project.scorecard, code).itertuples()
        }
        actual = {_date(row["metric_time__month"]): _float(row[code]) for row in rows}
        _assert_series_equal(actual, expected, f"{code} by month")


def _check_headlines(project: SemanticProject, rows: list[dict]) -> None:
    metrics = [column for column in rows[0] if column != "metric_time__month"]
    assert len(metrics) >= 12
    for code in metrics:
        expected = {
            _date(r.period_start): r.value for r in _totals(project.scorecard, code).itertuples()
        }
        actual = {_date(row["metric_time__month"]): _float(row[code]) for row in rows}
        _assert_series_equal(actual, expected, f"{code} in kpi_headlines_monthly")


def _float(value: str | float | None) -> float | None:
    return None if value in (None, "") else float(value)


README_QUERIES: dict[str, Callable[[SemanticProject, list[dict]], None]] = dict(
    [
        (
            "mf query --metrics churn_rate --group-by metric_time__month "
            "--order metric_time__month",
            _check_monthly_churn,
        ),
        (
            "mf query --metrics churn_rate,net_revenue_retention --group-by metric_time__quarter",
            _check_quarterly_pooled,
        ),
        (
            "mf query --metrics churn_rate_by_segment "
            "--group-by metric_time__month,scorecard__segment_value "
            "--where \"{{ Dimension('scorecard__segment_type') }} = 'plan'\"",
            _check_churn_by_plan,
        ),
        ("mf query --metrics roi_12m --group-by scorecard__segment_value", _check_roi_per_campaign),
        (
            "mf query --metrics ltv,cac_payback_months --group-by metric_time__month",
            _check_ltv_and_payback,
        ),
        ("mf query --saved-query kpi_headlines_monthly", _check_headlines),
    ]
)


def _readme_queries() -> list[str]:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Semantic layer", 1)[1].split("\n### ", 1)[0]
    block = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    joined = re.sub(r"\\\n\s*", "", block)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("mf query")]


def test_the_readme_shows_exactly_the_tested_queries() -> None:
    assert _readme_queries() == list(README_QUERIES)


@pytest.mark.parametrize("command", list(README_QUERIES), ids=range(len(README_QUERIES)))
def test_readme_query_returns_the_scorecard_numbers(
    semantic_project: SemanticProject, command: str
) -> None:
    out = semantic_project.root / "query.csv"
    out.unlink(missing_ok=True)
    done = semantic_project.run([*shlex.split(command), "--csv", str(out)])
    assert done.returncode == 0 and out.exists(), (done.stdout + done.stderr)[-4000:]
    with out.open(newline="", encoding="utf-8") as handle:
        rows = [
            {key.lower(): value for key, value in row.items()} for row in csv.DictReader(handle)
        ]
    assert rows, command
    README_QUERIES[command](semantic_project, rows)


# --- every metric, every row --------------------------------------------------------------


def _kpi_rows(project: SemanticProject, kpi: catalogue.Kpi, segments: bool) -> pd.DataFrame:
    card = project.scorecard[project.scorecard["kpi_code"] == kpi.code]
    headline = semantic.headline_segment_type(kpi)
    if not segments:
        return card[card["segment_type"] == headline]
    return card[card["segment_type"] != "total"] if headline == "total" else card


def _grain(kpi: catalogue.Kpi) -> str:
    return "month" if set(kpi.period_grains) <= {"month", "ttm"} else "day"


def test_every_kpi_metric_reproduces_the_scorecard_rows(semantic_project: SemanticProject) -> None:
    """Each KPI metric grouped by period, segment_type and segment_value (and period_grain)
    gives exactly the scorecard's value of every row it covers, nulls included."""
    cases = [
        (kpi, segments)
        for kpi in catalogue.kpis()
        for segments in (False, True)
        if not segments or semantic.has_segment_metric(kpi)
    ]
    requests = []
    for kpi, segments in cases:
        group_by = [f"metric_time__{_grain(kpi)}"]
        if kpi.code not in semantic.WIDE_MART_RATIOS:
            group_by += [
                "scorecard__period_grain",
                "scorecard__segment_type",
                "scorecard__segment_value",
            ]
        requests.append(
            {"metrics": [kpi.code + ("_by_segment" if segments else "")], "group_by": group_by}
        )
    results = semantic_project.query(requests)
    for (kpi, segments), request, result in zip(cases, requests, results, strict=True):
        metric, time = request["metrics"][0], request["group_by"][0]
        rows = _kpi_rows(semantic_project, kpi, segments)
        key_columns = [
            "scorecard__period_grain",
            "scorecard__segment_type",
            "scorecard__segment_value",
        ]
        keys = key_columns if len(request["group_by"]) > 1 else []
        expected = {
            (
                _date(r.period_start),
                *((r.period_grain, r.segment_type, r.segment_value) if keys else ()),
            ): r.value
            for r in rows.itertuples()
        }
        actual = {
            (_date(row[time]), *(row[key] for key in keys)): row[metric]
            for row in result.to_dict("records")
        }
        assert len(rows) > 0, metric
        _assert_series_equal(actual, expected, metric)


def test_ratio_metrics_re_aggregate_from_numerators_and_denominators(
    semantic_project: SemanticProject,
) -> None:
    """By quarter, a ratio KPI is its summed numerators over its summed denominators (x 100
    for percent KPIs), cac_payback_months the wide mart's summed cost over summed
    gross-margin acquisition MRR, and a trailing-twelve-month KPI its last month's value."""
    monthly = [kpi for kpi in catalogue.kpis() if set(kpi.period_grains) <= {"month", "ttm"}]
    requests = [{"metrics": [kpi.code], "group_by": ["metric_time__quarter"]} for kpi in monthly]
    results = semantic_project.query(requests)
    for kpi, result in zip(monthly, results, strict=True):
        actual = {
            _date(row["metric_time__quarter"]): row[kpi.code] for row in result.to_dict("records")
        }
        if kpi.code in semantic.WIDE_MART_RATIOS:
            frame = semantic_project.acquisition.copy()
            frame["quarter"] = (
                frame["month_start"].dt.to_period("Q").dt.start_time.dt.strftime("%Y-%m-%d")
            )
            frame["gm_mrr"] = frame["customers_acquired"] * frame["gross_margin_acquisition_mrr"]
            sums = frame.groupby("quarter")[["sales_marketing_cost", "gm_mrr"]].sum(min_count=1)
            expected = (sums["sales_marketing_cost"] / sums["gm_mrr"]).to_dict()
        else:
            rows = _kpi_rows(semantic_project, kpi, segments=False).copy()
            rows["quarter"] = (
                rows["period_start"].dt.to_period("Q").dt.start_time.dt.strftime("%Y-%m-%d")
            )
            if semantic.is_semi_additive(kpi):
                last = rows.sort_values("period_start").groupby("quarter").tail(1)
                expected = dict(zip(last["quarter"], last["value"], strict=True))
            else:
                sums = rows.groupby("quarter")[["numerator", "denominator"]].sum(min_count=1)
                scale = 100 if semantic.is_percent_scaled(kpi) else 1
                denominator = sums["denominator"].where(sums["denominator"] != 0)
                expected = (scale * sums["numerator"] / denominator).to_dict()
        _assert_series_equal(actual, expected, f"{kpi.code} by quarter")


def test_every_saved_query_runs(semantic_project: SemanticProject) -> None:
    document = yaml.safe_load((PROJECT / semantic.SAVED_QUERIES_FILE).read_text(encoding="utf-8"))
    saved = document["saved_queries"]
    assert len(saved) >= 2
    results = semantic_project.query([{"saved_query": query["name"]} for query in saved])
    for query, result in zip(saved, results, strict=True):
        assert len(result) > 0, query["name"]
        for metric in query["query_params"]["metrics"]:
            assert result[metric].notna().any(), (query["name"], metric)
