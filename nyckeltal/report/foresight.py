"""What the report shows of Foresight (docs/insights.md), read from the published marts:
each card's forecast band (marts.kpi_forecasts) and outlook sentences
(marts.kpi_target_outlook), each family page's change decompositions
(marts.kpi_change_decomposition). Missing marts (the forecasts on PostgreSQL and Spark, an
older publication) show nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from nyckeltal.relations import fetch_dicts, has_relation

Row = dict[str, Any]
OUTLOOK_ORDER = {"period": 0, "quarter": 1, "year": 2}


@dataclass
class Foresight:
    forecasts: dict[tuple[str, str], list[Row]] = field(default_factory=dict)  # (kpi, grain)
    outlooks: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    changes: dict[str, list[str]] = field(default_factory=dict)  # kpi -> sentences

    def band(self, kpi_code: str, grain: str) -> list[Row]:
        """The total's forecast rows (horizon 1..4) of a KPI and grain, if forecast."""
        rows = self.forecasts.get((kpi_code, grain), [])
        return [row for row in rows if row["forecast_state"] == "forecast"]

    def outlook_sentences(self, kpi_code: str, grain: str) -> list[str]:
        rows = sorted(
            self.outlooks.get((kpi_code, grain), []),
            key=lambda row: OUTLOOK_ORDER.get(row["outlook_period"], 9),
        )
        return [row["outlook_text"] for row in rows]


def _rows(connection: duckdb.DuckDBPyConnection, table: str, query: str) -> list[Row]:
    if not has_relation(connection, "marts", table):
        return []
    return fetch_dicts(connection.execute(query))


def load_foresight(published: Path) -> Foresight:
    """The total rows of the three Foresight marts of the publication."""
    foresight = Foresight()
    with duckdb.connect(str(published), read_only=True) as connection:
        forecasts = _rows(
            connection,
            "kpi_forecasts",
            "select kpi_code, period_grain, horizon, period_start, forecast_state, model, "
            "beats_naive, forecast, lower_80, upper_80, lower_95, upper_95 "
            "from marts.kpi_forecasts where segment_type = 'total' order by kpi_code, horizon",
        )
        outlooks = _rows(
            connection,
            "kpi_target_outlook",
            "select kpi_code, period_grain, outlook_period, outlook_text, outlook_state, "
            "probability_on_target from marts.kpi_target_outlook where segment_type = 'total'",
        )
        changes = _rows(
            connection,
            "kpi_change_decomposition",
            "select kpi_code, change_text from marts.kpi_change_decomposition "
            "where effect_rank = 1 and period_grain = 'month' order by kpi_code, segment_type",
        )
    for row in forecasts:
        foresight.forecasts.setdefault((row["kpi_code"], row["period_grain"]), []).append(row)
    for row in outlooks:
        foresight.outlooks.setdefault((row["kpi_code"], row["period_grain"]), []).append(row)
    for row in changes:
        foresight.changes.setdefault(row["kpi_code"], []).append(row["change_text"])
    return foresight
