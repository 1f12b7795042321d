"""The dbt sources and staging models declare exactly the tables and columns of the contract."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nyckeltal.contract import (
    FRESHNESS_ERROR_AFTER_HOURS,
    FRESHNESS_WARN_AFTER_HOURS,
    LOADED_AT_COLUMN,
    SYSTEMS,
    TABLES,
    table,
)

PROJECT = Path(__file__).resolve().parents[1]


def _sources(system: str) -> dict:
    path = PROJECT / "models" / "staging" / system / f"_{system}__sources.yml"
    (source,) = yaml.safe_load(path.read_text())["sources"]
    return source


@pytest.mark.parametrize("system", SYSTEMS)
def test_sources_declare_every_contract_table_and_column(system: str) -> None:
    source = _sources(system)
    assert source["schema"] == f"raw_{system}"
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
