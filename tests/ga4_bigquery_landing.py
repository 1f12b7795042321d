"""Web events given as contract rows, written as GA4's BigQuery export landed in DuckDB.

`export_rows(web_events)` turns the rows of a marketing__web_events file into GA4 export
rows (one per event, docs/sources.md "GA4"): the visitor is the user_pseudo_id, a session's
ga_session_id is the Unix second of its first event (an event parameter of every event, as
GA4 sets it), the event name is GA4's recommended one (signup is sign_up, checkout_start
begin_checkout), and the channel and campaign of a session are tagged on its first event
only, the way GA4 collects them: paid search as a Google Ads click (collected_traffic_source
manual_source google, manual_medium cpc, manual_campaign_id), the other channels as the
event parameters source, medium and campaign_id (an email newsletter, organic Google, ...).

`write_events(landing, table, rows, nested)` writes them into the schema `ga4` of a DuckDB
file with the export's nested columns as DuckDB STRUCT and LIST (`struct`, what a copy
through Parquet or DuckDB's BigQuery extension gives) or as JSON text (`json`, what a copy
through JSON gives, integers as strings).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

SCHEMA = "ga4"
GA4_NAMES = {"signup": "sign_up", "checkout_start": "begin_checkout"}
TRAFFIC = {  # contract channel -> (source, medium) that GA4's channel grouping sends there
    "organic": ("google", "organic"),
    "email": ("newsletter", "email"),
    "referral": ("example.com", "referral"),
    "paid_social": ("facebook", "paid_social"),
    "partner": ("partner-site", "affiliate"),
}
PARAMS = "struct(key varchar, value struct(string_value varchar, int_value bigint, "
PARAMS += "float_value double, double_value double))[]"
COLLECTED = "struct(manual_campaign_id varchar, manual_campaign_name varchar, "
COLLECTED += "manual_source varchar, manual_medium varchar, gclid varchar)"
COLUMNS = {
    "struct": "event_date varchar, event_timestamp bigint, event_name varchar, "
    f"user_pseudo_id varchar, event_params {PARAMS}, "
    "traffic_source struct(name varchar, medium varchar, source varchar), "
    f"collected_traffic_source {COLLECTED}",
    "json": "event_date varchar, event_timestamp varchar, event_name varchar, "
    "user_pseudo_id varchar, event_params varchar, traffic_source varchar, "
    "collected_traffic_source varchar",
}


def micros(at: dt.datetime) -> int:
    """A UTC time as GA4's event_timestamp (microseconds since 1970)."""
    return round(at.replace(tzinfo=dt.UTC).timestamp() * 1_000_000)


def param(key: str, value: str | int) -> dict:
    """One event parameter, its value in the field of its type."""
    text, number = (None, value) if isinstance(value, int) else (value, None)
    return {
        "key": key,
        "value": {
            "string_value": text,
            "int_value": number,
            "float_value": None,
            "double_value": None,
        },
    }


def event(
    visitor: str | None,
    at: dt.datetime,
    name: str,
    session: int | None,
    params: Mapping[str, str | int] | None = None,
    collected: Mapping[str, str] | None = None,
) -> dict:
    """One GA4 export row: `session` the ga_session_id (None: no such parameter), `params`
    more event parameters, `collected` the collected_traffic_source fields."""
    event_params = [param("page_location", "https://example.com/")]
    if session is not None:
        event_params.append(param("ga_session_id", session))
    event_params += [param(key, value) for key, value in (params or {}).items()]
    traffic = dict.fromkeys(
        ("manual_campaign_id", "manual_campaign_name", "manual_source", "manual_medium", "gclid")
    )
    return {
        "event_date": at.strftime("%Y%m%d"),
        "event_timestamp": micros(at),
        "event_name": name,
        "user_pseudo_id": visitor,
        "event_params": event_params,
        # The user's first touch: never read by the mapping (a visit's channel is its own).
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
        "collected_traffic_source": {**traffic, **collected} if collected else None,
    }


def export_rows(web_events: Path) -> list[dict]:
    """The rows of the contract file `web_events` as GA4 export rows."""
    with web_events.open(newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["occurred_at"])
    started: dict[str, int] = {}
    exported = []
    for row in rows:
        at = dt.datetime.fromisoformat(row["occurred_at"])
        first = row["session_id"] not in started
        session = started.setdefault(row["session_id"], micros(at) // 1_000_000)
        params: dict[str, str | int] = {}
        collected: dict[str, str] = {}
        if first and row["channel"] == "paid_search":
            collected = {"manual_source": "google", "manual_medium": "cpc"}
            if row["campaign_id"]:
                collected["manual_campaign_id"] = row["campaign_id"]
        elif first and row["channel"] != "other":
            params = dict(zip(("source", "medium"), TRAFFIC[row["channel"]], strict=True))
            if row["campaign_id"]:
                params["campaign_id"] = row["campaign_id"]
        name = GA4_NAMES.get(row["event_name"], row["event_name"])
        exported.append(event(row["visitor_id"], at, name, session, params, collected))
    return exported


def _json(value: object) -> str | None:
    """A nested value as BigQuery's JSON export writes it: integers as strings."""

    def strings(item: object) -> object:
        if isinstance(item, dict):
            return {key: strings(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [strings(inner) for inner in item]
        return str(item) if isinstance(item, int) else item

    return None if value is None else json.dumps(strings(value))


NESTED = ("event_params", "traffic_source", "collected_traffic_source")


def _landed(name: str, value: object, nested: str) -> object:
    """A column's value as landed: as is, or (`json`) nested values and the timestamp as
    BigQuery's JSON export writes them."""
    if nested == "struct" or name not in (*NESTED, "event_timestamp"):
        return value
    return str(value) if name == "event_timestamp" else _json(value)


def write_events(landing: Path, table: str, rows: Iterable[dict], nested: str = "struct") -> Path:
    """Create the table `ga4.<table>` of the DuckDB file `landing` with `rows` (nested
    columns as STRUCT and LIST, or as JSON text); return `landing`."""
    rows = list(rows)
    with duckdb.connect(str(landing)) as connection:
        connection.execute(f"create schema if not exists {SCHEMA}")
        connection.execute(f"create or replace table {SCHEMA}.{table} ({COLUMNS[nested]})")
        names = list(rows[0])
        values = [[_landed(name, row[name], nested) for name in names] for row in rows]
        marks = ", ".join("?" * len(names))
        connection.executemany(f"insert into {SCHEMA}.{table} values ({marks})", values)
    return landing
