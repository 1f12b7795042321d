"""The CRM of a company given as contract files, written as HubSpot landed by Fivetran.

`write_landing(company, landing)` reads crm__customers and crm__leads of the folder
`company` and writes the same company into the schema `hubspot` of the DuckDB file
`landing`, in Fivetran's table and column names (fivetran/dbt_hubspot_source's
models/src_hubspot.yml; every HubSpot property a column `property_<name>`), the way HubSpot
keeps it: a company per customer (HubSpot ids from 101, the contract id in the custom
property `nyckeltal_customer_id`, the region in `sales_region`, the campaign in
`nyckeltal_campaign`), its segment as a number of employees, its channel as HubSpot's
original source; a contact per lead (ids from 201) with lifecycle-stage dates. A customer
without a customer date on its company gets it from its first closed-won deal; a lead whose
MQL date is absent skips to the SQL stage. It adds what the mapping must leave out: a deleted
company, a prospect company, a deleted contact, a subscriber-only contact, a deleted
closed-won deal and a closed-lost one.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from vendor_twins import write_tables

SCHEMA = "hubspot"
# NYCKELTAL_HUBSPOT_PROPERTIES for the custom properties this company uses.
PROPERTIES = (
    "customer_id=nyckeltal_customer_id,region=sales_region,"
    "acquisition_campaign_id=nyckeltal_campaign,campaign_id=nyckeltal_campaign"
)
SOURCES = {  # contract channel -> HubSpot original source
    "organic": "ORGANIC_SEARCH",
    "paid_search": "PAID_SEARCH",
    "paid_social": "PAID_SOCIAL",
    "email": "EMAIL_MARKETING",
    "referral": "REFERRALS",
}
EMPLOYEES = {"smb": 12, "mid_market": 200, "enterprise": 5000}
WON, LOST = "closedwon", "closedlost"

TABLES = {
    "company": "id bigint, is_deleted boolean, _fivetran_synced timestamp, "
    "property_name varchar, property_createdate timestamp, property_country varchar, "
    "property_industry varchar, property_numberofemployees bigint, "
    "property_hs_analytics_source varchar, property_hs_lifecyclestage_customer_date timestamp, "
    "property_nyckeltal_customer_id varchar, property_sales_region varchar, "
    "property_nyckeltal_campaign varchar",
    "contact": "id bigint, _fivetran_deleted boolean, _fivetran_synced timestamp, "
    "property_email varchar, property_createdate timestamp, property_lifecyclestage varchar, "
    "property_associatedcompanyid bigint, property_hs_analytics_source varchar, "
    "property_hs_lifecyclestage_lead_date timestamp, "
    "property_hs_lifecyclestage_marketingqualifiedlead_date timestamp, "
    "property_hs_lifecyclestage_salesqualifiedlead_date timestamp, "
    "property_hs_lifecyclestage_opportunity_date timestamp, "
    "property_hs_lifecyclestage_customer_date timestamp, property_nyckeltal_campaign varchar",
    "deal": "deal_id bigint, is_deleted boolean, deal_pipeline_id varchar, "
    "deal_pipeline_stage_id varchar, property_dealname varchar, property_amount bigint, "
    "property_closedate timestamp, property_createdate timestamp",
    "deal_company": "deal_id bigint, company_id bigint, type_id bigint, category varchar",
    "deal_pipeline_stage": "stage_id varchar, _fivetran_deleted boolean, pipeline_id varchar, "
    "label varchar, is_closed boolean, closed_won boolean, probability double",
}


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _hours_before(stamp: str, hours: int) -> str:
    return str(dt.datetime.fromisoformat(stamp) - dt.timedelta(hours=hours))


def company_ids(customers: list[dict[str, str]]) -> dict[str, int]:
    """The HubSpot company id of each contract customer id."""
    return {row["customer_id"]: 101 + number for number, row in enumerate(customers)}


def _record(table: str, **values: object) -> tuple:
    """A row of `table` (TABLES' columns, in order) from its `values`, the rest null."""
    names = [column.split()[0] for column in TABLES[table].split(", ")]
    return tuple(values.get(name) for name in names)


def _company(**values: object) -> tuple:
    return _record("company", **{"is_deleted": False, "property_industry": "Software", **values})


def _deal(deal_id: int, stage: str, closed: str, deleted: bool = False) -> tuple:
    return _record(
        "deal",
        deal_id=deal_id,
        is_deleted=deleted,
        deal_pipeline_id="default",
        deal_pipeline_stage_id=stage,
        property_amount=1000,
        property_closedate=closed,
        property_createdate=closed,
    )


def _companies(customers: list[dict[str, str]], converted: set[str]) -> dict:
    ids = company_ids(customers)
    companies, deals, links = [], [], []
    for row in customers:
        company = ids[row["customer_id"]]
        # A customer no lead converted into keeps its date on its first won deal only.
        by_deal = row["customer_id"] not in converted
        companies.append(
            _company(
                id=company,
                property_name=row["company_name"],
                property_createdate=_hours_before(row["created_at"], 24 * 30),
                property_country=row["country_code"],
                property_numberofemployees=EMPLOYEES[row["segment"]],
                property_hs_analytics_source=SOURCES[row["acquisition_channel"]],
                property_hs_lifecyclestage_customer_date=None if by_deal else row["created_at"],
                property_nyckeltal_customer_id=row["customer_id"],
                property_sales_region=row["region"],
                property_nyckeltal_campaign=row["acquisition_campaign_id"] or None,
            )
        )
        if by_deal:  # its first won deal, and a deleted one won earlier (left out)
            deals += [
                _deal(company * 10, WON, row["created_at"]),
                _deal(company * 10 + 1, WON, "2020-01-01", deleted=True),
            ]
            links += [(company * 10, company, 5, "HUBSPOT_DEFINED")]
            links += [(company * 10 + 1, company, 5, "HUBSPOT_DEFINED")]
    first = min(row["created_at"] for row in customers)
    companies += [  # a deleted customer, and a prospect whose only deal was lost: left out
        _company(id=900, is_deleted=True, property_hs_lifecyclestage_customer_date=first),
        _company(id=901, property_name="Prospect Oy", property_createdate=first),
    ]
    deals.append(_deal(9010, LOST, first))
    links.append((9010, 901, 5, "HUBSPOT_DEFINED"))
    return {
        "company": companies,
        "deal": deals,
        "deal_company": links,
        "deal_pipeline_stage": [
            (WON, False, "default", "Closed won", True, True, 1.0),
            (LOST, False, "default", "Closed lost", True, False, 0.0),
            ("appointmentscheduled", False, "default", "Appointment", False, False, 0.2),
        ],
    }


def _contacts(leads: list[dict[str, str]], customers: list[dict[str, str]]) -> list[tuple]:
    ids = company_ids(customers)
    became = {row["customer_id"]: row["created_at"] for row in customers}
    contacts = []
    for number, row in enumerate(leads):
        customer = row["converted_customer_id"] or None
        qualified = row["qualified_at"] or None
        # Every other qualified lead skipped the MQL stage: its qualification is its SQL date.
        skipped = qualified is not None and number % 2 == 1
        contacts.append(
            _record(
                "contact",
                id=201 + number,
                _fivetran_deleted=False,
                property_email=f"lead{number}@example.com",
                property_createdate=_hours_before(row["created_at"], 48),
                property_lifecyclestage="customer" if customer else "lead",
                property_associatedcompanyid=ids[customer] if customer else None,
                property_hs_analytics_source=SOURCES[row["channel"]],
                property_hs_lifecyclestage_lead_date=row["created_at"],
                property_hs_lifecyclestage_marketingqualifiedlead_date=None
                if skipped
                else qualified,
                property_hs_lifecyclestage_salesqualifiedlead_date=qualified if skipped else None,
                property_hs_lifecyclestage_customer_date=became[customer] if customer else None,
                property_nyckeltal_campaign=row["campaign_id"] or None,
            )
        )
    first = min(row["created_at"] for row in leads)
    return [  # and a deleted lead and a subscriber: left out
        *contacts,
        _record(
            "contact", id=900, _fivetran_deleted=True, property_hs_lifecyclestage_lead_date=first
        ),
        _record("contact", id=901, property_createdate=first, property_lifecyclestage="subscriber"),
    ]


def landed_rows(company: Path) -> dict[str, list[tuple]]:
    """The rows of each Fivetran table (TABLES' columns) for the contract files in `company`."""
    customers = _read(company, "crm__customers")
    leads = _read(company, "crm__leads")
    converted = {row["converted_customer_id"] for row in leads if row["converted_customer_id"]}
    return {**_companies(customers, converted), "contact": _contacts(leads, customers)}


def write_landing(company: Path, landing: Path, schema: str = SCHEMA) -> Path:
    """Write the CRM of the contract files in `company` as Fivetran's HubSpot tables in the
    schema `schema` of the DuckDB file `landing`; return `landing`."""
    return write_tables(landing, schema, TABLES, landed_rows(company))
