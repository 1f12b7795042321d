"""The CRM of a company given as contract files, written as HubSpot landed by Airbyte.

`write_landing(company, landing)` writes the company of tests/hubspot_fivetran_landing.py
(the same companies, contacts, deals and pipeline stages, with its custom properties and the
deleted, prospect and subscriber records the mapping must leave out) into the schema
`hubspot` of the DuckDB file `landing` in the shape of Airbyte's HubSpot source
(airbytehq/airbyte docs/integrations/sources/hubspot.md and the connector's schemas): the
streams `companies`, `contacts`, `deals` and `deal_pipelines`; `id` as text, `createdAt`,
`updatedAt`, `archived`; every property in the `properties` JSON and as a column
`properties_<name>`, times as ISO 8601 text in UTC and numbers as doubles (`101.0`); deals'
associated companies as the array `companies`; the stages as the array `stages` of their
pipeline (`stageId`, `active`, `metadata` {isClosed, probability} as text); Airbyte's meta
columns. Deletes as Airbyte keeps them: the deleted company and deal stay in `companies`
and `deals` as last synced and are listed in `companies_archived` and `deals_archived`; the
deleted contact is `archived`. Each company also has an older version under an old name (an
append sync mode keeps both), and a retired (inactive) closed-won stage holds a deal of the
prospect: both must be left out.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import hubspot_fivetran_landing as fivetran
from vendor_twins import write_tables

SCHEMA = "hubspot"
PROPERTIES = fivetran.PROPERTIES
META = (
    "_airbyte_raw_id varchar, _airbyte_extracted_at timestamp with time zone, "
    "_airbyte_meta json, _airbyte_generation_id bigint"
)
EXTRACTED = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
SYNCED = "2024-12-31T00:00:00.000Z"  # updatedAt of the current versions
OBJECT = "id varchar, createdAt varchar, updatedAt varchar, archived boolean, properties json, "
COMPANY_PROPERTIES = (
    "name",
    "createdate",
    "country",
    "industry",
    "numberofemployees",
    "hs_analytics_source",
    "hs_lifecyclestage_customer_date",
    "nyckeltal_customer_id",
    "sales_region",
    "nyckeltal_campaign",
)
CONTACT_PROPERTIES = (
    "email",
    "createdate",
    "lifecyclestage",
    "associatedcompanyid",
    "hs_analytics_source",
    "hs_lifecyclestage_lead_date",
    "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date",
    "hs_lifecyclestage_opportunity_date",
    "hs_lifecyclestage_customer_date",
    "nyckeltal_campaign",
)
DEAL_PROPERTIES = ("dealname", "amount", "closedate", "createdate", "dealstage", "pipeline")
NUMBERS = {"numberofemployees", "associatedcompanyid", "amount"}
TIMES = {
    "createdate",
    "closedate",
    "hs_lifecyclestage_customer_date",
    "hs_lifecyclestage_lead_date",
    "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date",
    "hs_lifecyclestage_opportunity_date",
}


def _columns(names: tuple[str, ...]) -> str:
    kinds = {name: "double" if name in NUMBERS else "varchar" for name in names}
    return ", ".join(f"properties_{name} {kind}" for name, kind in kinds.items())


TABLES = {
    "companies": f"{OBJECT}contacts json, {_columns(COMPANY_PROPERTIES)}",
    "contacts": f"{OBJECT}companies json, {_columns(CONTACT_PROPERTIES)}",
    "deals": f"{OBJECT}companies json, contacts json, {_columns(DEAL_PROPERTIES)}",
    "deal_pipelines": "label varchar, displayOrder bigint, active boolean, stages json, "
    "objectType varchar, objectTypeId varchar, pipelineId varchar, createdAt bigint, "
    'updatedAt bigint, "default" boolean',
    "companies_archived": f"{OBJECT}archivedAt varchar",
    "deals_archived": f"{OBJECT}archivedAt varchar",
}


def iso(value: object) -> str | None:
    """A contract time (`YYYY-MM-DD[ HH:MM:SS]`, UTC) as HubSpot's API gives it."""
    if value is None:
        return None
    stamp = dt.datetime.fromisoformat(str(value))
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _meta() -> tuple:
    return (str(uuid.uuid4()), EXTRACTED, json.dumps({"changes": []}), 1)


def _by_name(table: str, rows: list[tuple]) -> list[dict]:
    names = [column.split()[0] for column in fivetran.TABLES[table].split(", ")]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _object(
    record_id: object, names: tuple[str, ...], values: dict, archived: bool = False, **extra
) -> dict:
    """An Airbyte record of a CRM object: its properties (`values`, Fivetran's property_*
    values) both in `properties` and as properties_<name> columns."""
    properties = {}
    for name in names:
        value = values.get(f"property_{name}")
        if name in TIMES:
            value = iso(value)
        elif name in NUMBERS and value is not None:
            value = float(value)
        properties[name] = value
    text = {k: None if v is None else str(v) for k, v in properties.items()}  # HubSpot: text
    return {
        "id": str(record_id),
        "createdAt": properties.get("createdate") or SYNCED,
        "updatedAt": SYNCED,
        "archived": archived,
        "properties": json.dumps(text),
        **extra,
        **{f"properties_{name}": value for name, value in properties.items()},
    }


def _row(table: str, record: dict) -> tuple:
    names = [column.split()[0].strip('"') for column in TABLES[table].split(", ")]
    return (*(record.get(name) for name in names), *_meta())


def _companies(rows: dict) -> dict[str, list[tuple]]:
    companies, archived = [], []
    for values in _by_name("company", rows["company"]):
        deleted = values["is_deleted"]
        record = _object(values["id"], COMPANY_PROPERTIES, values, contacts=None)
        # An older version under its old name, synced before (an append sync keeps both).
        older = {**record, "updatedAt": "2024-06-01T00:00:00.000Z", "properties_name": "Old"}
        companies += [_row("companies", record), _row("companies", older)]
        if deleted:  # deleted: as last synced in companies, and in companies_archived
            gone = {**record, "archived": True, "archivedAt": SYNCED, "updatedAt": SYNCED}
            archived.append(_row("companies_archived", gone))
    return {"companies": companies, "companies_archived": archived}


def _deals(rows: dict) -> dict[str, list[tuple]]:
    links: dict[object, list[str]] = {}
    for deal, company, _, _ in rows["deal_company"]:
        links.setdefault(deal, []).append(str(company))
    deals, archived = [], []
    records = _by_name("deal", rows["deal"])
    first = min(str(values["property_closedate"]) for values in records)
    # A deal of the prospect won in a retired stage (inactive): left out.
    records.append(
        {
            "deal_id": 9011,
            "is_deleted": False,
            "deal_pipeline_stage_id": "retiredwon",
            "property_closedate": first,
            "property_amount": 10,
        }
    )
    links[9011] = ["901"]
    for values in records:
        values = {
            **values,
            "property_dealstage": values["deal_pipeline_stage_id"],
            "property_pipeline": "default",
        }
        record = _object(
            values["deal_id"],
            DEAL_PROPERTIES,
            values,
            companies=json.dumps(links.get(values["deal_id"], [])),
            contacts=json.dumps([]),
        )
        deals.append(_row("deals", record))
        if values["is_deleted"]:
            gone = {**record, "archived": True, "archivedAt": SYNCED}
            archived.append(_row("deals_archived", gone))
    return {"deals": deals, "deals_archived": archived}


def _pipelines(rows: dict) -> dict[str, list[tuple]]:
    stages = [
        {
            "stageId": stage,
            "label": label,
            "displayOrder": number,
            "active": not deleted,
            "metadata": {"isClosed": str(closed).lower(), "probability": str(probability)},
        }
        for number, (stage, deleted, _, label, closed, _, probability) in enumerate(
            rows["deal_pipeline_stage"]
        )
    ]
    stages.append(
        {
            "stageId": "retiredwon",
            "label": "Won (old)",
            "displayOrder": len(stages),
            "active": False,
            "metadata": {"isClosed": "true", "probability": "1.0"},
        }
    )
    pipeline = {
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "active": True,
        "stages": json.dumps(stages),
        "objectType": "DEAL",
        "objectTypeId": "0-3",
        "pipelineId": "default",
        "createdAt": 1_700_000_000_000,
        "updatedAt": 1_700_000_000_000,
        "default": True,
    }
    return {"deal_pipelines": [_row("deal_pipelines", pipeline)]}


def landed_rows(company: Path) -> dict[str, list[tuple]]:
    """The rows of each Airbyte table (TABLES' columns) for the contract files in `company`."""
    rows = fivetran.landed_rows(company)
    contacts = [
        _row(
            "contacts",
            _object(
                values["id"],
                CONTACT_PROPERTIES,
                values,
                archived=bool(values["_fivetran_deleted"]),
                companies=json.dumps(
                    [str(int(values["property_associatedcompanyid"]))]
                    if values["property_associatedcompanyid"]
                    else []
                ),
            ),
        )
        for values in _by_name("contact", rows["contact"])
    ]
    return {**_companies(rows), "contacts": contacts, **_deals(rows), **_pipelines(rows)}


def write_landing(company: Path, landing: Path, schema: str = SCHEMA) -> Path:
    """Write the CRM of the contract files in `company` as Airbyte's HubSpot tables in the
    schema `schema` of the DuckDB file `landing`; return `landing`."""
    columns = {table: f"{definition}, {META}" for table, definition in TABLES.items()}
    return write_tables(landing, schema, columns, landed_rows(company))
