"""dbt docs (README "dbt docs and exposures"): `dbt docs generate --static` on the demo
warehouse writes the one-file site and a catalog whose marts carry their descriptions as
table and column comments (persist_docs), and the exposures name every published mart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from nyckeltal.context import RunContext
from nyckeltal.dbt_runner import run_dbt

pytestmark = pytest.mark.dbt

PROJECT = Path(__file__).resolve().parent.parent
MART_FOLDERS = ("marts", "insights")  # the models of schema marts (dbt_project.yml)


@pytest.fixture(scope="module")
def docs_target(dbt_built_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The target folder of `dbt docs generate --static` run on a copy of the demo warehouse."""
    folder = tmp_path_factory.mktemp("dbt_docs")
    warehouse = folder / "nyckeltal.duckdb"
    shutil.copyfile(dbt_built_warehouse("demo"), warehouse)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
        patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
        run_dbt(["docs", "generate", "--static"], RunContext.build(warehouse=warehouse), quiet=True)
    return folder / "target"


def _manifest(docs_target: Path) -> dict:
    return json.loads((docs_target / "manifest.json").read_text(encoding="utf-8"))


def _mart_models(manifest: dict) -> set[str]:
    """The models of the mart folders that are relations (ephemeral ones are inlined)."""
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].split("/")[1] in MART_FOLDERS
        and node["config"]["materialized"] != "ephemeral"
    }


def _described_columns(model: str) -> dict[str, str]:
    """The column descriptions of `model` in its YAML."""
    for folder in MART_FOLDERS:
        for path in (PROJECT / "models" / folder).rglob("*.yml"):
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for node in document.get("models", []):
                if node["name"] == model:
                    return {
                        column["name"]: column.get("description", "")
                        for column in node.get("columns", [])
                    }
    raise AssertionError(f"{model} has no YAML")


def test_static_site_is_one_file_with_the_manifest_and_catalog(docs_target: Path) -> None:
    page = docs_target / "static_index.html"
    assert page.stat().st_size > 100_000
    text = page.read_text(encoding="utf-8")
    assert "model.nyckeltal.kpi_scorecard" in text  # manifest and catalog inlined
    assert "exposure.nyckeltal.kpi_report" in text
    assert (docs_target / "index.html").exists()


def test_catalog_lists_every_mart_with_its_comments(docs_target: Path) -> None:
    """persist_docs wrote the YAML descriptions as comments; the catalog reads them back."""
    catalog = json.loads((docs_target / "catalog.json").read_text(encoding="utf-8"))
    marts = _mart_models(_manifest(docs_target))
    assert {"kpi_scorecard", "customer_acquisition_cost_monthly", "kpi_anomalies"} <= marts
    assert "kpi_scorecard_series" not in marts  # ephemeral: inlined, no relation
    for model in sorted(marts):
        node = catalog["nodes"][f"model.nyckeltal.{model}"]
        assert node["metadata"]["schema"] == "marts"
        assert node["metadata"]["comment"], f"{model} has no table comment"
        described = _described_columns(model)
        comments = {name: column["comment"] for name, column in node["columns"].items()}
        assert set(described) == set(comments), model
        missing = [name for name, text in described.items() if text and not comments[name]]
        assert not missing, f"{model}: columns without a comment: {missing}"
        scorecard_code = comments.get("kpi_code")
        if model == "kpi_scorecard":
            assert scorecard_code == described["kpi_code"]
    spine = catalog["nodes"]["model.nyckeltal.metricflow_time_spine"]
    assert spine["metadata"]["schema"] == "semantic"


def test_exposures_name_what_reads_the_marts(docs_target: Path) -> None:
    manifest = _manifest(docs_target)
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    assert set(exposures) == {
        "kpi_report",
        "postgresql_publication",
        "parquet_and_duckdb_publication",
        "semantic_layer",
    }
    # kpi_forecasts and kpi_target_outlook are disabled on PostgreSQL and Spark (they read dbt
    # Python models): an exposure that refs a disabled model does not parse there, so the
    # publications' exposures name every other mart (all are published all the same).
    disabled_elsewhere = {"kpi_forecasts", "kpi_target_outlook"}
    every_mart = {
        f"model.nyckeltal.{model}" for model in _mart_models(manifest) - disabled_elsewhere
    }
    for name in ("postgresql_publication", "parquet_and_duckdb_publication"):
        assert set(exposures[name]["depends_on"]["nodes"]) == every_mart, name
    assert exposures["kpi_report"]["depends_on"]["nodes"] == ["model.nyckeltal.kpi_scorecard"]
    assert "model.nyckeltal.kpi_scorecard" in exposures["semantic_layer"]["depends_on"]["nodes"]
    for node in exposures.values():
        assert node["owner"]["name"] and node["description"]
