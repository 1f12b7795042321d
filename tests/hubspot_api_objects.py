"""The CRM of a company given as contract files, as HubSpot's CRM API (v3) returns it.

`api_objects(company)` expresses the Fivetran tables of tests/hubspot_fivetran_landing.py
(the same companies, contacts, deals, associations and pipeline stages, with the same custom
properties and the records the mapping must leave out) as HubSpot objects: `{"id",
"properties": {name: text}, "createdAt", "updatedAt", "archived"}`, every property value a
string as the API gives it (datetimes ISO 8601 in UTC with milliseconds, numbers as text), a
deal's companies under `associations`, the deal pipelines with their stages. Each object was
last modified at `modified(n)`, a minute apart in the order written.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from hubspot_fivetran_landing import TABLES, landed_rows

FIRST_MODIFIED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?")


def iso(moment: dt.datetime) -> str:
    """HubSpot's spelling of a time: `2025-01-01T00:00:00.000Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def milliseconds(stamp: str) -> int:
    """A HubSpot time as the Unix milliseconds its search filters take."""
    return round(dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def modified(number: int) -> str:
    return iso(FIRST_MODIFIED + dt.timedelta(minutes=number))


def text(value: Any) -> str | None:
    """A Fivetran value as the API's text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    value = str(value)
    if DATETIME.fullmatch(value):
        return iso(dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC))
    return value


def _named(table: str, row: tuple) -> dict[str, Any]:
    return dict(zip((column.split()[0] for column in TABLES[table].split(", ")), row, strict=True))


def _object(number: int, object_id: Any, archived: Any, properties: dict[str, Any]) -> dict:
    stamp = modified(number)
    values = {name: text(value) for name, value in properties.items() if value is not None}
    values |= {"hs_object_id": str(object_id), "hs_lastmodifieddate": stamp}
    values |= {"lastmodifieddate": stamp}
    created = values.get("createdate", stamp)
    return {
        "id": str(object_id),
        "properties": values,
        "createdAt": created,
        "updatedAt": stamp,
        "archived": bool(archived),
    }


def _properties(row: dict[str, Any]) -> dict[str, Any]:
    return {name.removeprefix("property_"): v for name, v in row.items() if name[:9] == "property_"}


def api_objects(company: Path) -> dict[str, list[dict[str, Any]]]:
    """The HubSpot objects of the contract files in `company`: companies, contacts, deals,
    pipelines (of deals)."""
    rows = landed_rows(company)
    counter = iter(range(10_000))
    companies = [
        _object(next(counter), row["id"], row["is_deleted"], _properties(row))
        for row in (_named("company", values) for values in rows["company"])
    ]
    contacts = [
        _object(next(counter), row["id"], row["_fivetran_deleted"], _properties(row))
        for row in (_named("contact", values) for values in rows["contact"])
    ]
    links: dict[str, list[dict[str, str]]] = {}
    for deal_id, company_id, *_ in rows["deal_company"]:
        links.setdefault(str(deal_id), []).append(
            {"id": str(company_id), "type": "deal_to_company"}
        )
    deals = []
    for row in (_named("deal", values) for values in rows["deal"]):
        properties = _properties(row) | {
            "pipeline": row["deal_pipeline_id"],
            "dealstage": row["deal_pipeline_stage_id"],
        }
        deal = _object(next(counter), row["deal_id"], row["is_deleted"], properties)
        if deal["id"] in links:
            deal["associations"] = {"companies": {"results": links[deal["id"]]}}
        deals.append(deal)
    stages = [
        {
            "id": stage_id,
            "label": label,
            "displayOrder": order,
            "archived": deleted,
            "metadata": {"isClosed": text(closed), "probability": str(probability)},
        }
        for order, (stage_id, deleted, _, label, closed, _, probability) in enumerate(
            rows["deal_pipeline_stage"]
        )
    ]
    pipeline = {"id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False}
    return {
        "companies": companies,
        "contacts": contacts,
        "deals": deals,
        "pipelines": [{**pipeline, "stages": stages}],
    }
