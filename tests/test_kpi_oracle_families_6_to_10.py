"""The scorecard rows of the KPI families 6-10 equal an independent pandas implementation.

Churn, NPS, cost per lead, engagement and market share are recomputed from the raw tables of a
demo warehouse by `tests/kpi_oracle/families_6_to_10.py` (written from kpis.md alone) and
compared with `marts.kpi_scorecard`: the same keys, and the same period, grain, unit, flags and
numbers (relative tolerance 1e-6, nulls equal nulls).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from kpi_oracle.families_6_to_10 import (
    KEYS,
    KPI_CODES,
    compare,
    oracle_rows,
    scorecard_rows,
)

from nyckeltal.cli import main
from nyckeltal.dbt_runner import run_dbt


@pytest.fixture(scope="module")
def oracle_and_scorecard(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("kpi_oracle_6_to_10")
    warehouse = folder / "nyckeltal.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
        patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
        assert main(["demo", "--warehouse", str(warehouse)]) == 0
        run_dbt(["build", "--exclude-resource-type", "unit_test", "-q"], Path(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return oracle_rows(connection), scorecard_rows(connection)


@pytest.mark.dbt
def test_scorecard_has_exactly_the_oracle_rows(
    oracle_and_scorecard: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    expected, actual = oracle_and_scorecard
    assert set(expected["kpi_code"]) == set(KPI_CODES)
    expected_keys = set(map(tuple, expected[KEYS].itertuples(index=False)))
    actual_keys = set(map(tuple, actual[KEYS].itertuples(index=False)))
    assert len(actual_keys) == len(actual), "duplicate scorecard keys"
    assert sorted(expected_keys - actual_keys) == [], "rows missing from the scorecard"
    assert sorted(actual_keys - expected_keys) == [], "rows the oracle does not expect"


@pytest.mark.dbt
def test_scorecard_values_equal_the_oracle(
    oracle_and_scorecard: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    expected, actual = oracle_and_scorecard
    problems = compare(expected, actual, rel=1e-6)
    assert problems == [], "\n".join(problems[:50])
