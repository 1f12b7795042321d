"""The scorecard rows of the KPI families 1-5 equal an independent pandas implementation.

Revenue per employee, CAC, LTV, conversion and ROI are recomputed from the raw tables of a demo
warehouse by `tests/kpi_oracle/families_1_to_5.py` (written from kpis.md alone) and compared
with `marts.kpi_scorecard`: the same keys, and the same period, grain, unit, flags and numbers
(relative tolerance 1e-6, nulls equal nulls).

Two warehouses: the bundled demo, and `tests/fixtures/kpi_oracle_1_to_5`, a tiny dataset of
hard cases (instants on month boundaries, equal started_at, MRR 0, spells inside a month, void
and credit notes, fx gaps and a reporting-currency rate to ignore, a first event mid-month with
reporting-currency payroll dated the 1st, FTE spells of one day, spend summing to 0, campaigns
starting on a 31st, a leap day and after as_of, funnel steps at the same instant or out of
order, channel ties broken by event_id, a month without web events, a subscription ending
after the last other event).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kpi_oracle.families_1_to_5 import KEY, KPI_CODES, compare, compute_kpis, scorecard_rows

from nyckeltal.cli import main
from nyckeltal.dbt_runner import run_dbt

EDGE_CASES = Path(__file__).parent / "fixtures" / "kpi_oracle_1_to_5"


@pytest.fixture(scope="module", params=["demo", "edge_cases"])
def oracle_and_scorecard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = tmp_path_factory.mktemp(f"kpi_oracle_1_to_5_{request.param}")
    warehouse = folder / "nyckeltal.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
        patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
        if request.param == "demo":
            assert main(["demo", "--warehouse", str(warehouse)]) == 0
        else:
            assert main(["load", str(EDGE_CASES), "--warehouse", str(warehouse)]) == 0
        run_dbt(["build", "--exclude-resource-type", "unit_test", "-q"], Path(warehouse))
    return compute_kpis(warehouse), scorecard_rows(warehouse)


@pytest.mark.dbt
def test_scorecard_has_exactly_the_oracle_rows(
    oracle_and_scorecard: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    expected, actual = oracle_and_scorecard
    assert set(expected["kpi_code"]) == set(KPI_CODES)
    expected_keys = set(map(tuple, expected[KEY].itertuples(index=False)))
    actual_keys = set(map(tuple, actual[KEY].itertuples(index=False)))
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
