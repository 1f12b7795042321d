"""The dbt sources and staging models declare exactly the tables and columns of the contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nyckeltal.context import RunContext
from nyckeltal.contract import (
    FRESHNESS_ERROR_AFTER_HOURS,
    FRESHNESS_WARN_AFTER_HOURS,
    LOADED_AT_COLUMN,
    SYSTEMS,
    TABLES,
    table,
)
from nyckeltal.dbt_runner import run_dbt

PROJECT = Path(__file__).resolve().parents[1]


def _sources(system: str) -> dict:
    path = PROJECT / "models" / "staging" / system / f"_{system}__sources.yml"
    (source,) = yaml.safe_load(path.read_text())["sources"]
    return source


@pytest.mark.parametrize("system", SYSTEMS)
def test_sources_declare_every_contract_table_and_column(system: str) -> None:
    source = _sources(system)
    assert source["schema"] == f"{{{{ var('{system}_schema', 'raw_{system}') }}}}"
    declared = {
        entry["name"]: [(c["name"], c["data_type"]) for c in entry["columns"]]
        for entry in source["tables"]
    }
    expected = {t.name: [(c.name, c.type) for c in t.columns] for t in TABLES if t.system == system}
    assert declared == expected


@pytest.mark.parametrize("contract_table", TABLES, ids=lambda t: t.key)
def test_one_staging_model_per_table(contract_table) -> None:
    model = (
        PROJECT
        / "models"
        / "staging"
        / contract_table.system
        / f"stg_{contract_table.system}__{contract_table.name}.sql"
    )
    sql = model.read_text()
    source = f"'{contract_table.system}', '{contract_table.name}'"
    assert f"source({source})" in sql
    # Every column of the source (its YAML, checked above against the contract), cast to
    # its declared type.
    assert f"cast_source_columns({source}" in sql


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_source_measures_freshness_on_the_load_stamp(system: str) -> None:
    """Freshness is when the data arrived (the loader's `_loaded_at`), not a business date,
    for every table of the source; no table overrides it."""
    source = _sources(system)
    assert source["config"] == {
        "loaded_at_field": LOADED_AT_COLUMN,
        "freshness": {
            "warn_after": {"count": FRESHNESS_WARN_AFTER_HOURS, "period": "hour"},
            "error_after": {"count": FRESHNESS_ERROR_AFTER_HOURS, "period": "hour"},
        },
    }
    assert [entry["name"] for entry in source["tables"] if "config" in entry] == []


def test_unknown_table_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="billing.invoices"):
        table("billing.invoice")


@pytest.mark.dbt
def test_source_schemas_come_from_vars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each source's schema is the dbt var `<system>_schema` (README "Configuration"), by
    default the loader's `raw_<system>`: with the var set, the source and the staging model
    reading it point at the other schema."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    run_dbt(
        ["compile", "--select", "stg_billing__plans", "stg_crm__customers"],
        RunContext.build(warehouse=tmp_path / "nyckeltal.duckdb"),
        dbt_vars={"billing_schema": "landing_stripe"},
        quiet=True,
    )
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    schemas = {source["source_name"]: source["schema"] for source in manifest["sources"].values()}
    assert schemas == {
        "billing": "landing_stripe",
        "crm": "raw_crm",
        "hr": "raw_hr",
        "marketing": "raw_marketing",
        "nyckeltal": "raw_nyckeltal",  # the loader's manifest, not a system's table
    }
    compiled = {
        node["name"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["name"] in ("stg_billing__plans", "stg_crm__customers")
    }
    assert '"landing_stripe"."plans"' in compiled["stg_billing__plans"]
    assert '"raw_crm"."customers"' in compiled["stg_crm__customers"]
