"""The KPI catalogue (seeds/kpi_catalogue.csv) is the one list of KPIs.

Everything else that names KPIs either derives from it or is checked against it here, so that
a new KPI needs three hand-written files: its SQL (an int_kpi_rows_<family> model), its
catalogue row and its dbt unit test (CONTRIBUTING.md, "Add a KPI"). No dbt run: the models'
Jinja source and YAML are read as text.
"""

from __future__ import annotations

import csv
import functools
import re
import shutil
from pathlib import Path

import pytest
import yaml

from nyckeltal import catalogue, semantic, settings
from nyckeltal.quality import mart_suites

PROJECT = settings.project_dir()
KPI_ROW_MODELS = {
    path.stem: path
    for path in (PROJECT / "models").rglob("int_kpi_rows_*.sql")
    if path.stem != "int_kpi_rows_unioned"
}
MAX_FILES_FOR_A_NEW_KPI = 3
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_files() -> list[Path]:
    return sorted((PROJECT / "models").rglob("*.yml")) + sorted((PROJECT / "seeds").glob("*.yml"))


def _data_tests(path_glob: str, name: str, column: str) -> list:
    """The data tests of column `column` of the model or seed `name`."""
    for path in PROJECT.glob(path_glob):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}
        for node in document.get("models", []) + document.get("seeds", []):
            if node["name"] != name:
                continue
            for entry in node.get("columns", []):
                if entry["name"] == column:
                    return entry.get("data_tests", [])
    raise AssertionError(f"{name}.{column} not found in {path_glob}")


def _accepted_values(tests: list) -> list[str]:
    for test in tests:
        if isinstance(test, dict) and "accepted_values" in test:
            return test["accepted_values"]["arguments"]["values"]
    raise AssertionError("no accepted_values test")


def _relationship_targets(tests: list) -> list[tuple[str, str]]:
    return [
        (test["relationships"]["arguments"]["to"], test["relationships"]["arguments"]["field"])
        for test in tests
        if isinstance(test, dict) and "relationships" in test
    ]


def test_the_catalogue_is_valid_and_lists_every_kpi_once() -> None:
    codes = catalogue.kpi_codes()
    assert codes and len(codes) == len(set(codes))
    with catalogue.catalogue_path().open(newline="", encoding="utf-8") as handle:
        assert tuple(csv.DictReader(handle).fieldnames or ()) == catalogue.COLUMNS


def test_a_broken_entry_is_refused(tmp_path: Path) -> None:
    text = catalogue.catalogue_path().read_text(encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "kpi_catalogue.csv").write_text(
        text.replace(",percent,month,lower_is_better,0,100,", ",percents,month,lower,0,100,", 1),
        encoding="utf-8",
    )
    with pytest.raises(catalogue.CatalogueError, match="churn_rate.*unit 'percents'.*direction"):
        catalogue.kpis(tmp_path)


@pytest.mark.parametrize("kpi", catalogue.kpis(), ids=lambda kpi: kpi.code)
def test_every_kpi_is_produced_by_exactly_one_kpi_rows_model(kpi: catalogue.Kpi) -> None:
    literal = re.compile(rf"'{re.escape(kpi.code)}'")
    producers = [
        name
        for name, path in KPI_ROW_MODELS.items()
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert producers == [kpi.model], f"{kpi.code} is written by {producers}, not {kpi.model}"


def test_every_kpi_rows_model_is_a_family_of_the_catalogue_and_of_the_union() -> None:
    assert set(KPI_ROW_MODELS) == {f"int_kpi_rows_{family}" for family in catalogue.families()}
    union = (PROJECT / catalogue.UNION_MODEL).read_text(encoding="utf-8")
    listed = re.search(r"set families = \[(.*?)\]", union, re.DOTALL)
    assert listed is not None
    assert re.findall(r"'(\w+)'", listed.group(1)) == list(catalogue.families())


def test_generated_sections_are_up_to_date() -> None:
    """README KPI table and the union's family list: `python -m nyckeltal.catalogue --write`."""
    for path, (current, expected) in catalogue.generated_files().items():
        assert current == expected, f"{path} is stale: run python -m nyckeltal.catalogue --write"
    assert catalogue.main(["--check"]) == 0


@functools.cache
def _unit_test_expectations() -> dict[str, list[str]]:
    """Model -> the expected rows (CSV text) of each of its dbt unit tests."""
    expectations: dict[str, list[str]] = {}
    for path in _yaml_files():
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}
        for unit_test in document.get("unit_tests", []):
            rows = unit_test["expect"].get("rows", "")
            expectations.setdefault(unit_test["model"], []).append(
                rows if isinstance(rows, str) else repr(rows)
            )
    return expectations


@pytest.mark.parametrize("kpi", catalogue.kpis(), ids=lambda kpi: kpi.code)
def test_every_kpi_has_a_unit_test_of_its_model(kpi: catalogue.Kpi) -> None:
    """A dbt unit test of the KPI's model expects at least one row of the KPI."""
    expected_rows = _unit_test_expectations().get(kpi.model, [])
    assert any(re.search(rf"\b{re.escape(kpi.code)}\b", rows) for rows in expected_rows), (
        f"no unit test of {kpi.model} expects a {kpi.code} row"
    )


@pytest.mark.parametrize("family", catalogue.families())
def test_a_family_models_accepted_kpi_codes_are_its_catalogue_codes(family: str) -> None:
    """Where an int_kpi_rows model lists its codes (accepted_values), they are the family's."""
    model = f"int_kpi_rows_{family}"
    tests = _data_tests("models/intermediate/*/_int_*__models.yml", model, "kpi_code")
    listed = [
        test["accepted_values"]["arguments"]["values"]
        for test in tests
        if isinstance(test, dict) and "accepted_values" in test
    ]
    codes = sorted(kpi.code for kpi in catalogue.kpis() if kpi.family == family)
    assert all(sorted(values) == codes for values in listed), (model, listed, codes)


def test_dbt_kpi_code_tests_refer_to_the_catalogue() -> None:
    seed = ("ref('kpi_catalogue')", "kpi_code")
    scorecard = _data_tests("models/marts/scorecard/*.yml", "kpi_scorecard", "kpi_code")
    assert seed in _relationship_targets(scorecard)
    assert seed in _relationship_targets(_data_tests("seeds/*.yml", "kpi_targets", "kpi_code"))


def test_scorecard_enumerations_match_the_catalogue() -> None:
    tests = "models/marts/scorecard/*.yml"
    segment_types = _accepted_values(_data_tests(tests, "kpi_scorecard", "segment_type"))
    assert sorted(segment_types) == sorted(catalogue.segment_types())
    assert _accepted_values(_data_tests(tests, "kpi_scorecard", "unit")) == list(catalogue.UNITS)
    grains = _accepted_values(_data_tests(tests, "kpi_scorecard", "period_grain"))
    assert grains == list(catalogue.GRAINS)
    assert {g for kpi in catalogue.kpis() for g in kpi.period_grains} <= set(grains)


def test_targets_name_catalogue_kpis_with_the_catalogue_direction() -> None:
    directions = {kpi.code: kpi.direction for kpi in catalogue.kpis()}
    with (PROJECT / "seeds" / "kpi_targets.csv").open(newline="", encoding="utf-8") as handle:
        targets = list(csv.DictReader(handle))
    assert targets
    for target in targets:
        assert target["kpi_code"] in directions, target
        assert target["direction"] == directions[target["kpi_code"]], target


def test_great_expectations_suites_derive_from_the_catalogue() -> None:
    assert {kpi.code: kpi.unit for kpi in catalogue.kpis()} == mart_suites.kpi_units(PROJECT)
    assert {
        kpi.code: kpi.reconciled_segment_types
        for kpi in catalogue.kpis()
        if kpi.reconciled_segment_types
    } == mart_suites.reconciled(PROJECT)
    bounded = {code for codes, *_ in mart_suites.ranges(PROJECT) for code in codes}
    assert bounded == {
        kpi.code
        for kpi in catalogue.kpis()
        if kpi.min_value is not None or kpi.max_value is not None
    }
    suite = mart_suites.scorecard_suite()
    kpi_sets = [
        check.kwargs["value_set"]
        for check in suite.checks
        if check.type == "expect_column_values_to_be_in_set"
        and check.kwargs["column"] == "kpi_code"
    ]
    assert kpi_sets == [list(catalogue.kpi_codes())]
    ranges = {
        code: (check.kwargs.get("min_value"), check.kwargs.get("max_value"))
        for check in suite.checks
        if check.type == "expect_column_values_to_be_between"
        for code in check.kwargs["row_condition"]["parameter"]
    }
    assert ranges["nps"] == (-100, 100)
    assert ranges["engagement_score"] == (1, 5)
    assert ranges["churn_rate"] == (0, 100)
    assert ranges["cpl"] == (0, None)


def test_the_suites_are_those_of_the_project_folder_given(tmp_path: Path) -> None:
    """The catalogue and the suites made of it come from the project folder passed down (the
    run's RunContext.project_dir), not from the environment: a copy with one more KPI has
    one more kpi_code in its scorecard suite, the package's own project does not."""
    shutil.copytree(PROJECT / "seeds", tmp_path / "seeds")
    shutil.copytree(PROJECT / "models" / "marts", tmp_path / "models" / "marts")
    seed = tmp_path / catalogue.CATALOGUE_FILE
    text = seed.read_text(encoding="utf-8")
    churn = next(line for line in text.splitlines() if line.startswith("churn_rate,"))
    seed.write_text(text + churn.replace("churn_rate,", "churn_rate_copy,", 1) + "\n")

    def kpi_codes_of_the_suite(project: Path) -> list[str]:
        (values,) = [
            check.kwargs["value_set"]
            for check in mart_suites.scorecard_suite(project).checks
            if check.type == "expect_column_values_to_be_in_set"
            and check.kwargs["column"] == "kpi_code"
        ]
        return values

    assert kpi_codes_of_the_suite(tmp_path) == [*catalogue.kpi_codes(), "churn_rate_copy"]
    assert kpi_codes_of_the_suite(PROJECT) == list(catalogue.kpi_codes())
    assert "churn_rate_copy" in mart_suites.reconciled(tmp_path)


def test_singular_dbt_tests_read_the_catalogue() -> None:
    for name in (
        "assert_kpi_scorecard_has_total_row_for_every_month",
        "assert_kpi_rows_match_catalogue",
    ):
        sql = (PROJECT / "tests" / "dbt" / f"{name}.sql").read_text(encoding="utf-8")
        assert "ref('kpi_catalogue')" in sql, name
        assert not any(f"'{code}'" in sql for code in catalogue.kpi_codes()), name


def test_the_readme_table_names_every_kpi() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    table = readme.split(catalogue.README_START, 1)[1].split(catalogue.README_END, 1)[0]
    assert re.findall(r"^\| [^|]+ \| `(\w+)` \|", table, re.MULTILINE) == list(
        catalogue.kpi_codes()
    )


def _source_files() -> list[Path]:
    top = [path for path in PROJECT.iterdir() if path.is_file()]
    folders = ("models", "macros", "seeds", "tests", "nyckeltal", "orchestration", "benchmarks")
    return top + [path for folder in folders for path in (PROJECT / folder).rglob("*")]


def test_no_other_file_lists_the_kpi_codes() -> None:
    """The proof that a new KPI needs at most three hand-written files: apart from the
    catalogue, the KPI's own model and the YAML beside it (descriptions, unit tests), no
    file names half the codes or more, i.e. keeps a list of KPIs by hand. Allowed: targets
    (a KPI may have none), prose (spec choices), generated files checked by other tests and
    the independent oracle, which recomputes every KPI from the raw data on purpose."""
    allowed = {
        catalogue.CATALOGUE_FILE.as_posix(),
        "seeds/kpi_targets.csv",
        "README.md",
        "DECISIONS.md",
        "CONTRIBUTING.md",
    }
    allowed |= {path.as_posix() for path in semantic.generated(catalogue.kpis())}
    beside_kpi_models = {path.parent for path in KPI_ROW_MODELS.values()}
    codes = catalogue.kpi_codes()
    listing = {}
    for path in _source_files():
        relative = path.relative_to(PROJECT).as_posix()
        if (
            not path.is_file()
            or path.suffix not in {".sql", ".py", ".yml", ".yaml", ".csv", ".md", ".json"}
            or relative in allowed
            or (path.parent in beside_kpi_models and path.suffix == ".yml")
            or relative.startswith(("nyckeltal/oracle/", "tests/fixtures/", "seeds/demo/"))
        ):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        named = [code for code in codes if re.search(rf"\b{re.escape(code)}\b", text)]
        if len(named) >= len(codes) // 2:
            listing[relative] = len(named)
    assert listing == {}, f"files that list the KPIs by hand: {listing}"


def test_a_new_kpi_needs_at_most_three_files() -> None:
    """The files a new KPI touches, per CONTRIBUTING.md: its SQL, its catalogue row, its unit
    test. The walk-through there names exactly these (plus generated files)."""
    guide = (PROJECT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = guide.split("## Add a KPI", 1)[1].split("\n## ", 1)[0]
    touched = set(re.findall(r"^\d+\. \*\*`([^`]+)`\*\*", section, re.MULTILINE))
    assert touched == {
        "models/intermediate/<domain>/int_kpi_rows_<family>.sql",
        "seeds/kpi_catalogue.csv",
        "models/intermediate/<domain>/_int_<domain>__models.yml",
    }
    assert len(touched) <= MAX_FILES_FOR_A_NEW_KPI


@pytest.mark.dbt
def test_each_familys_required_tables_are_its_dbt_lineage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """seeds/kpi_family_inputs.csv lists, per family, exactly the raw sources upstream of its
    int_kpi_rows_<family> model in dbt's manifest (less the calendar-only references), so the
    tables a family is unavailable without cannot drift from the models."""
    import json

    from run_folders import runs_write_under

    from nyckeltal.context import RunContext
    from nyckeltal.dbt_runner import run_dbt

    runs_write_under(monkeypatch, tmp_path)
    run_dbt(["parse"], RunContext.build(warehouse=tmp_path / "nyckeltal.duckdb"), quiet=True)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert catalogue.lineage_inputs(manifest) == catalogue.family_inputs()
    # Every family needs its own tables at least (nothing to compute from the calendar alone).
    assert all(catalogue.family_inputs().values())
