"""CONTRIBUTING.md's walk-through "Add a KPI", executed as written.

The dbt project is copied to a temporary folder; `gross_revenue_retention` is added there by
writing the three hand-written files with the snippets of the walk-through (the catalogue
row, the SQL row, the YAML accepted values and the unit test rows its rule describes); the
two commands of `make catalogue` regenerate everything else; then `dbt build` builds the KPI
into the scorecard of a copy of the loaded demo warehouse. Every file the edit changed is one of the
three or a generated one, and the new rows hold real values: 100 - revenue churn.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from shared_warehouses import copy_warehouse

from nyckeltal import catalogue, kpi_docs, semantic

pytestmark = pytest.mark.dbt

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CODE = "gross_revenue_retention"
CHURN_SQL = "models/intermediate/customers/int_kpi_rows_churn.sql"
CHURN_YAML = "models/intermediate/customers/_int_customers__models.yml"
SEGMENT_TYPES = {"total", "plan", "product_line", "customer_segment"}
HAND_WRITTEN = {catalogue.CATALOGUE_FILE.as_posix(), CHURN_SQL, CHURN_YAML}
# What dbt and `make catalogue` read: no Python package, no demo data, no GX run output.
COPIED = ("dbt_project.yml", "profiles.yml", "README.md", "models", "macros", "seeds")
# With the documents `make catalogue` regenerates (docs/kpis.md, docs/data-contract.md).
COPIED += (
    "tests/dbt",
    "expectations",
    kpi_docs.KPIS_MD.as_posix(),
    catalogue.CONTRACT_DOC.as_posix(),
)
IGNORED = shutil.ignore_patterns("demo", "uncommitted", "__pycache__", "target", "logs")


def walk_through() -> str:
    guide = (PROJECT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = guide.split(f"### Walk-through: `{CODE}`", 1)[1]
    return section.split("\n## ", 1)[0]


def snippets(language: str) -> list[str]:
    """The walk-through's fenced blocks of `language`, without the list's indentation."""
    blocks = re.findall(rf"```{language}\n(.*?)\n *```", walk_through(), re.DOTALL)
    return [textwrap.dedent(block).strip() for block in blocks]


def copy_project(root: Path) -> None:
    for name in COPIED:
        source, target = PROJECT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=IGNORED)
        else:
            shutil.copyfile(source, target)


def file_texts(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def insert_after(text: str, anchor: str, new_line: str, where: str) -> str:
    """`text` with `new_line` after the one line containing `anchor`, at its indentation."""
    lines = text.splitlines(keepends=True)
    found = [i for i, line in enumerate(lines) if anchor in line]
    assert len(found) == 1, f"{where}: {len(found)} lines with {anchor!r}, expected one"
    index = found[0]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines.insert(index + 1, f"{indent}{new_line}\n")
    return "".join(lines)


def retention_row(revenue_churn_row: str) -> str:
    """The walk-through's rule: the gross revenue retention row beside a revenue churn row."""
    fields = revenue_churn_row.split(",")
    lost, mrr_at_start = float(fields[6]), float(fields[7])
    kept = mrr_at_start - lost
    value = "" if mrr_at_start == 0 else str(kept / mrr_at_start * 100)
    return ",".join([CODE, *fields[1:6], str(kept), fields[7], value, *fields[9:]])


def add_the_kpi(root: Path) -> list[str]:
    """Write the three files as the walk-through says; the unit test rows it added."""
    catalogue_row, example_row = snippets("csv")
    (sql_row,) = snippets("sql")
    (values_line,) = snippets("yaml")

    seed = root / catalogue.CATALOGUE_FILE
    seed.write_text(insert_after(seed.read_text(), "net_revenue_retention,", catalogue_row, "seed"))
    sql = root / CHURN_SQL
    anchor = "[\"'net_revenue_retention'\""
    sql.write_text(insert_after(sql.read_text(), anchor, sql_row, CHURN_SQL))

    yaml_file = root / CHURN_YAML
    text = yaml_file.read_text()
    old_values = "values: [churn_rate, revenue_churn_rate, net_revenue_retention]"
    assert text.count(old_values) == 1, f"{CHURN_YAML}: the kpi_code accepted values moved"
    text = text.replace(old_values, values_line)
    # The unit test of int_kpi_rows_churn: from its `model:` line to the next unit test.
    start = text.index("    model: int_kpi_rows_churn\n")
    end = text.find("\n  - name: ", start)
    unit_test, added = [], []
    for line in text[start:end].splitlines(keepends=True):
        unit_test.append(line)
        if line.lstrip().startswith("revenue_churn_rate,"):
            indent = line[: len(line) - len(line.lstrip())]
            added.append(retention_row(line.strip()))
            unit_test.append(f"{indent}{added[-1]}\n")
    yaml_file.write_text(text[:start] + "".join(unit_test) + text[end:])
    assert example_row in added, "the walk-through's example row does not follow its rule"
    return added


def run(command: list[str], root: Path, **environment: str) -> str:
    # No setting of the test session's environment: the copy's own paths only.
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NYCKELTAL_", "DBT_", "GX_", "DAGSTER_"))
    }
    env = {**inherited, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **environment}
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-6000:]}{result.stderr}"
    return result.stdout + result.stderr


def test_contributing_walk_through_adds_a_kpi_in_three_files(
    tmp_path: Path, demo_loaded: Path
) -> None:
    root = tmp_path / "project"
    copy_project(root)
    before = file_texts(root)
    added = add_the_kpi(root)
    assert {row.split(",")[4] for row in added} == SEGMENT_TYPES
    assert {path for path, text in file_texts(root).items() if before[path] != text} == (
        HAND_WRITTEN
    )

    # make catalogue
    project = {
        "NYCKELTAL_PROJECT_DIR": str(root),
        "NYCKELTAL_GX_DIR": str(root / "expectations"),
    }
    run([sys.executable, "-m", "nyckeltal.catalogue", "--write"], root, **project)
    gx_output = run([sys.executable, "-m", "nyckeltal.quality.project"], root, **project)
    run([sys.executable, "-m", "nyckeltal.catalogue", "--check"], root, **project)
    after = file_texts(root)
    generated = {"README.md", kpi_docs.KPIS_MD.as_posix()}
    generated |= {path.as_posix() for path in semantic.generated(catalogue.kpis())}
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed - HAND_WRITTEN <= generated | {
        path for path in changed if path.startswith("expectations/")
    }
    assert generated <= changed
    assert any(path.startswith("expectations/") for path in changed), gx_output
    for document in ("README.md", kpi_docs.KPIS_MD.as_posix()):
        assert f"`{CODE}`" in (root / document).read_text(encoding="utf-8"), document

    # A demo warehouse built up to the scorecard (the forecasts downstream are not needed),
    # then the walk-through's build: the KPI's model, its unit test, the scorecard and the
    # data tests of the catalogue (relationships, catalogue agreement, monthly total row).
    warehouse = copy_warehouse(demo_loaded, tmp_path / "warehouse")
    project_dirs = ["--project-dir", str(root), "--profiles-dir", str(root)]
    dbt_environment = {
        "NYCKELTAL_WAREHOUSE": str(warehouse),
        "NYCKELTAL_TARGET": "duckdb",
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    skip_tests = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    build = [str(BIN / "dbt"), "--quiet", "build", *project_dirs, "--select"]
    run([*build, "+kpi_scorecard", *skip_tests], root, **dbt_environment)
    selection = ["kpi_catalogue", "int_kpi_rows_churn", "int_kpi_rows_unioned", "kpi_scorecard"]
    run([*build, *selection, "--indirect-selection", "buildable"], root, **dbt_environment)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))
    passed = {result["unique_id"] for result in results["results"] if result["status"] == "pass"}
    assert {
        "unit_test.nyckeltal.int_kpi_rows_churn.kpi_rows_churn_rate_revenue_churn_nrr",
        "test.nyckeltal.assert_kpi_rows_match_catalogue",
        "test.nyckeltal.assert_kpi_scorecard_has_total_row_for_every_month",
    } <= passed
    assert any(
        name.startswith("test.nyckeltal.relationships_kpi_scorecard_kpi_code") for name in passed
    )

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select
                retention.segment_type,
                retention.numerator,
                retention.denominator,
                retention.value,
                churn.numerator,
                churn.value
            from marts.kpi_scorecard as retention
            inner join marts.kpi_scorecard as churn
                on retention.period_start = churn.period_start
                and retention.segment_type = churn.segment_type
                and retention.segment_value = churn.segment_value
                and churn.kpi_code = 'revenue_churn_rate'
            where retention.kpi_code = ?
            """,
            [CODE],
        ).fetchall()
        unmatched = connection.execute(
            "select count(*) from marts.kpi_scorecard where kpi_code = ?", [CODE]
        ).fetchone()[0] - len(rows)
    assert unmatched == 0
    assert {row[0] for row in rows} == SEGMENT_TYPES
    values = [row for row in rows if row[3] is not None]
    assert len(values) > 12 and len({round(row[3], 6) for row in values}) > 1
    for _, numerator, denominator, value, lost, churn in rows:
        assert numerator == pytest.approx(denominator - lost)
        if value is not None:
            assert value == pytest.approx(100 - churn)
            assert 0 <= value <= 100
