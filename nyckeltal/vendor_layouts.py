"""The registry of vendor sources: per system, the setting that picks its source and, per
layout (`<vendor>:<tool>`), what the mapping reads and writes (docs/sources.md).

A system (billing, crm, hr, ads, web) is chosen by its setting,
`NYCKELTAL_<SYSTEM>_SOURCE`: `files` (the contract's files, `nyckeltal load`) or one of its
layouts. A layout names the landed tables its mapping reads (the tool's documented names),
the columns it needs beyond them, the dbt models that map them into the system's contract
tables, and the setting of the schema they are landed in. Pure data: settings.py validates
the settings against it, nyckeltal.vendors runs the mappings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from nyckeltal.contract import DEPARTMENTS

FILES = "files"


@dataclass(frozen=True)
class Layout:
    """One way a vendor's tables are landed (`stripe:fivetran`), and how they are mapped."""

    value: str  # the setting's value, `<vendor>:<tool>`
    landed_tables: tuple[str, ...]  # the tables the mapping reads, all required
    models: str  # the dbt selector of the mapping models
    schema_field: str  # the setting (Settings field) naming the landing schema
    # Columns the mapping reads that a landed table may lack (checked before dbt runs).
    landed_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The vendor `nyckeltal ingest VENDOR` pulls into this layout (nyckeltal.ingest.<vendor>),
    # if Nyckeltal lands it itself; a scheduled refresh then ingests before it maps.
    ingested_by: str | None = None
    # Landed tables that may instead be landed as BigQuery's daily shards `<table>_YYYYMMDD`
    # (read together when the table itself is missing).
    date_sharded: tuple[str, ...] = ()
    # HubSpot layouts: the landed table each contract column that NYCKELTAL_HUBSPOT_PROPERTIES
    # may fill is read from, and the name of a property's column (`property_` + its name).
    property_tables: Mapping[str, str] = field(default_factory=dict)
    property_prefix: str = "property_"
    # HR layouts: the Settings fields naming a vendor's field (attribute) of the landed table
    # `landed_tables[0]` that the mapping reads when set (the employee id, ...), and what the
    # vendor calls such a field, for messages.
    field_settings: tuple[str, ...] = ()
    field_noun: str = ""
    # The layouts a joined one is made of (`google_ads:fivetran+facebook_ads:fivetran`, see
    # `joined`): each part's tables are checked in its own schema, one mapping writes them all.
    parts: tuple[Layout, ...] = ()

    @property
    def vendor(self) -> str:
        return self.value.split(":", 1)[0]

    @property
    def pieces(self) -> tuple[Layout, ...]:
        """The layouts to check and map: its parts when joined, else itself."""
        return self.parts or (self,)


def joined(*parts: Layout) -> Layout:
    """The layout of several vendors of one system mapped together: the setting's value is
    theirs joined with `+`; the mapping models are the parts' (all the same)."""
    return Layout("+".join(part.value for part in parts), (), parts[0].models, "", parts=parts)


@dataclass(frozen=True)
class System:
    """A system of the contract that a vendor source may fill."""

    name: str  # the contract system: billing, crm
    source_field: str  # the Settings field choosing its source (billing_source)
    mapped_tables: tuple[str, ...]  # the contract tables a vendor source of it writes
    layouts: tuple[Layout, ...]
    planned: tuple[str, ...] = ()  # layouts of issue 19 not supported yet

    @property
    def setting(self) -> str:
        return f"NYCKELTAL_{self.source_field.upper()}"

    @property
    def values(self) -> tuple[str, ...]:
        """The accepted values of its setting."""
        return (FILES, *(layout.value for layout in self.layouts))

    def layout(self, value: str) -> Layout | None:
        """The layout of the setting's value (None: files)."""
        return next((layout for layout in self.layouts if layout.value == value), None)


# Fivetran's names, fivetran/dbt_stripe's models/staging/src_stripe.yml.
STRIPE_FIVETRAN_TABLES = (
    "customer",
    "product",
    "price",
    "subscription_history",
    "subscription_item",
    "invoice",
    "invoice_line_item",
    "credit_note",
)
STRIPE_MODELS = "path:models/sources/stripe/fivetran"
# Airbyte's Stripe streams the mapping reads (every selected stream gets its table, rows or
# none); a subscription's discount is read from its `discount` column.
STRIPE_AIRBYTE_TABLES = (
    "customers",
    "products",
    "prices",
    "subscriptions",
    "subscription_items",
    "invoices",
    "invoice_line_items",
    "credit_notes",
)

BILLING = System(
    name="billing",
    source_field="billing_source",
    # billing.fx_rates keeps coming from files.
    mapped_tables=("billing.plans", "billing.subscriptions", "billing.invoices"),
    layouts=(
        Layout("stripe:fivetran", STRIPE_FIVETRAN_TABLES, STRIPE_MODELS, "stripe_schema"),
        # dlt's names, as `nyckeltal ingest stripe` writes them (credit_notes and
        # subscriptions__discounts are optional: dlt creates no table without rows); the
        # same mapping, through the ephemeral models of models/sources/stripe/dlt.
        Layout(
            "stripe:dlt",
            (
                "customers",
                "products",
                "prices",
                "subscriptions",
                "subscriptions__items__data",
                "invoices",
                "invoices__lines__data",
            ),
            STRIPE_MODELS,
            "stripe_schema",
            ingested_by="stripe",
        ),
        # Airbyte's stream names (airbytehq/airbyte docs/integrations/sources/stripe.md); the
        # same mapping, through the ephemeral models of models/sources/stripe/airbyte.
        Layout(
            "stripe:airbyte",
            STRIPE_AIRBYTE_TABLES,
            STRIPE_MODELS,
            "stripe_schema",
            landed_columns={
                "subscriptions": ("id", "customer", "status", "start_date"),
                "subscription_items": ("id", "subscription", "price", "quantity"),
                "invoices": ("id", "customer", "created", "status", "total"),
                "invoice_line_items": ("id", "invoice_id", "price", "amount"),
            },
        ),
    ),
)

# NYCKELTAL_HUBSPOT_PROPERTIES: the contract columns a HubSpot property may fill, and the
# HubSpot object (landed table) the property belongs to.
HUBSPOT_PROPERTY_TABLES: Mapping[str, str] = {
    "customer_id": "company",
    "segment": "company",
    "region": "company",
    "country_code": "company",
    "acquisition_channel": "company",
    "acquisition_campaign_id": "company",
    "channel": "contact",
    "campaign_id": "contact",
}


# HubSpot as Fivetran lands it: fivetran/dbt_hubspot_source's models/src_hubspot.yml; every
# HubSpot property is a column `property_<name>` (the standard ones the mapping reads below).
HUBSPOT_FIVETRAN = Layout(
    "hubspot:fivetran",
    ("company", "contact", "deal", "deal_company", "deal_pipeline_stage"),
    "path:models/sources/hubspot/fivetran",
    "hubspot_schema",
    landed_columns={
        "company": (
            "id",
            "is_deleted",
            "property_name",
            "property_country",
            "property_numberofemployees",
            "property_hs_analytics_source",
            "property_hs_lifecyclestage_customer_date",
        ),
        "contact": (
            "id",
            "_fivetran_deleted",
            "property_associatedcompanyid",
            "property_hs_analytics_source",
            "property_hs_lifecyclestage_lead_date",
            "property_hs_lifecyclestage_marketingqualifiedlead_date",
            "property_hs_lifecyclestage_salesqualifiedlead_date",
            "property_hs_lifecyclestage_opportunity_date",
            "property_hs_lifecyclestage_customer_date",
        ),
        "deal": ("deal_id", "is_deleted", "deal_pipeline_stage_id", "property_closedate"),
        "deal_company": ("deal_id", "company_id"),
        "deal_pipeline_stage": ("stage_id", "_fivetran_deleted", "is_closed", "probability"),
    },
    property_tables=HUBSPOT_PROPERTY_TABLES,
)

# HubSpot as `nyckeltal ingest hubspot` lands it (dlt's names: properties flattened into
# `properties__<name>`; deals, their companies and the pipelines' stages are optional: dlt
# creates no table without rows); the same mapping, through the ephemeral models of
# models/sources/hubspot/dlt.
HUBSPOT_DLT = Layout(
    "hubspot:dlt",
    ("companies", "contacts"),
    "path:models/sources/hubspot/fivetran",
    "hubspot_schema",
    landed_columns={"companies": ("id", "archived"), "contacts": ("id", "archived")},
    ingested_by="hubspot",
    property_tables={
        column: {"company": "companies", "contact": "contacts"}[table]
        for column, table in HUBSPOT_PROPERTY_TABLES.items()
    },
    property_prefix="properties__",
)

# HubSpot as Airbyte's HubSpot source lands it (airbytehq/airbyte
# docs/integrations/sources/hubspot.md): every property a column `properties_<name>` (and
# the `properties` JSON), associations as arrays (deals' `companies`), the pipelines' stages
# as an array of `deal_pipelines`; the same mapping, through models/sources/hubspot/airbyte.
HUBSPOT_AIRBYTE = Layout(
    "hubspot:airbyte",
    ("companies", "contacts", "deals", "deal_pipelines"),
    "path:models/sources/hubspot/fivetran",
    "hubspot_schema",
    landed_columns={
        "companies": (
            "id",
            "archived",
            "properties_name",
            "properties_country",
            "properties_numberofemployees",
            "properties_hs_analytics_source",
            "properties_hs_lifecyclestage_customer_date",
        ),
        "contacts": (
            "id",
            "archived",
            "properties_associatedcompanyid",
            "properties_hs_analytics_source",
            "properties_hs_lifecyclestage_lead_date",
            "properties_hs_lifecyclestage_marketingqualifiedlead_date",
            "properties_hs_lifecyclestage_salesqualifiedlead_date",
            "properties_hs_lifecyclestage_opportunity_date",
            "properties_hs_lifecyclestage_customer_date",
        ),
        "deals": ("id", "archived", "companies", "properties_dealstage", "properties_closedate"),
        # Column names are compared in lower case (Airbyte's pipelineId).
        "deal_pipelines": ("pipelineid", "stages"),
    },
    property_tables={
        column: {"company": "companies", "contact": "contacts"}[table]
        for column, table in HUBSPOT_PROPERTY_TABLES.items()
    },
    property_prefix="properties_",
)

CRM = System(
    name="crm",
    source_field="crm_source",
    # crm.nps_responses keeps coming from files: HubSpot has no NPS table.
    mapped_tables=("crm.customers", "crm.leads"),
    layouts=(HUBSPOT_FIVETRAN, HUBSPOT_DLT, HUBSPOT_AIRBYTE),
    planned=(),
)

# Personio as `nyckeltal ingest personio` lands it (dlt): one table `employees`, one column per
# employee attribute read (Personio's attribute keys; docs/sources.md "Personio").
PERSONIO_DLT = Layout(
    "personio:dlt",
    ("employees",),
    "path:models/sources/personio/dlt",
    "personio_schema",
    landed_columns={
        "employees": (
            "id",
            "status",
            "hire_date",
            "termination_date",
            "last_working_day",
            "weekly_working_hours",
            "department",
        )
    },
    ingested_by="personio",
    field_settings=("personio_employee_id_attribute", "personio_product_line_attribute"),
    field_noun="Personio attribute",
)

# BambooHR as `nyckeltal ingest bamboohr` lands it (dlt): one table `employees`, one column per
# employee field read (BambooHR's field names as dlt writes them, in snake case: hireDate is
# hire_date; docs/sources.md "BambooHR").
BAMBOOHR_DLT = Layout(
    "bamboohr:dlt",
    ("employees",),
    "path:models/sources/bamboohr/dlt",
    "bamboohr_schema",
    landed_columns={
        "employees": (
            "id",
            "hire_date",
            "termination_date",
            "department",
            "employment_history_status",
        )
    },
    ingested_by="bamboohr",
    field_settings=(
        "bamboohr_employee_id_field",
        "bamboohr_product_line_field",
        "bamboohr_fte_field",
    ),
    field_noun="BambooHR field",
)

HR = System(
    name="hr",
    source_field="hr_source",
    # hr.payroll and hr.engagement_responses keep coming from files: no HR system's public
    # API gives the monthly gross salary and employer costs paid, nor holds the surveys.
    mapped_tables=("hr.employees",),
    layouts=(PERSONIO_DLT, BAMBOOHR_DLT),
)

# The ad platforms (docs/sources.md "Google Ads", "Facebook Ads"): one mapping
# (models/sources/ads) writes marketing.campaigns and marketing.ad_spend from the platforms
# the setting names, each presented by the ephemeral models of its layout
# (models/sources/<vendor>/<tool>). Fivetran's names: fivetran/dbt_google_ads_source's and
# fivetran/dbt_facebook_ads_source's models/src_*.yml.
ADS_MODELS = "path:models/sources/ads"
GOOGLE_ADS_FIVETRAN = Layout(
    "google_ads:fivetran",
    ("campaign_history", "campaign_stats", "account_history"),
    ADS_MODELS,
    "google_ads_schema",
    landed_columns={
        "campaign_history": (
            "id",
            "updated_at",
            "name",
            "advertising_channel_type",
            "start_date",
            "end_date",
        ),
        "campaign_stats": ("customer_id", "date", "id", "cost_micros", "impressions", "clicks"),
        "account_history": ("id", "updated_at", "currency_code"),
    },
)
FACEBOOK_ADS_FIVETRAN = Layout(
    "facebook_ads:fivetran",
    ("campaign_history", "ad_history", "basic_ad", "account_history"),
    ADS_MODELS,
    "facebook_ads_schema",
    landed_columns={
        "campaign_history": (
            "id",
            "account_id",
            "updated_time",
            "created_time",
            "name",
            "start_time",
            "stop_time",
        ),
        "ad_history": ("id", "updated_time", "campaign_id"),
        "basic_ad": ("ad_id", "date", "account_id", "spend", "impressions", "inline_link_clicks"),
        "account_history": ("id", "_fivetran_synced", "currency"),
    },
)

ADS = System(
    name="ads",
    source_field="ads_source",
    mapped_tables=("marketing.campaigns", "marketing.ad_spend"),
    layouts=(
        GOOGLE_ADS_FIVETRAN,
        FACEBOOK_ADS_FIVETRAN,
        joined(GOOGLE_ADS_FIVETRAN, FACEBOOK_ADS_FIVETRAN),
    ),
    planned=("google_ads:dlt", "facebook_ads:dlt"),
)

# GA4's BigQuery export (one row per event, nested event_params), as a tool copying BigQuery
# into DuckDB lands it: one table `events`, or the daily shards `events_YYYYMMDD`.
GA4_BIGQUERY = Layout(
    "ga4:bigquery",
    ("events",),
    "path:models/sources/ga4/bigquery",
    "ga4_schema",
    landed_columns={"events": ("event_timestamp", "event_name", "user_pseudo_id", "event_params")},
    date_sharded=("events",),
)

WEB = System(
    name="web",
    source_field="web_source",
    mapped_tables=("marketing.web_events",),
    layouts=(GA4_BIGQUERY,),
    planned=("ga4:dlt",),
)

SYSTEMS: tuple[System, ...] = (BILLING, CRM, HR, ADS, WEB)

# `nyckeltal ingest VENDOR`: the vendors Nyckeltal pulls itself (nyckeltal.ingest).
INGEST_VENDORS: tuple[str, ...] = tuple(
    dict.fromkeys(
        layout.ingested_by for system in SYSTEMS for layout in system.layouts if layout.ingested_by
    )
)


def vendor_tables(settings: object) -> frozenset[str]:
    """The contract tables (keys) that the vendor sources chosen in `settings` (a Settings)
    write at the start of a refresh: a load may go without their files, and references into
    them are checked after the mapping (the Great Expectations suites), not by the load."""
    return frozenset(
        table
        for system in SYSTEMS
        if getattr(settings, system.source_field) != FILES
        for table in system.mapped_tables
    )


def parse_properties(value: str) -> dict[str, str]:
    """`column=property,...` (NYCKELTAL_HUBSPOT_PROPERTIES) as {column: property}; raises
    ValueError naming the item that is not one and the accepted columns."""
    properties: dict[str, str] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        column, _, name = (piece.strip() for piece in item.partition("="))
        name = name.lower().removeprefix("property_")
        if column not in HUBSPOT_PROPERTY_TABLES or not name.replace("_", "").isalnum():
            raise ValueError(
                f"{item!r} is not column=property with a column among "
                f"{', '.join(HUBSPOT_PROPERTY_TABLES)}"
            )
        properties[column] = name
    return properties


def department_key(name: str) -> str:
    """A vendor's department name as NYCKELTAL_HR_DEPARTMENTS matches it: trimmed, lower case
    (the mapping's `lower(trim(department))`, macro hr_department)."""
    return name.strip().lower()


def parse_departments(value: str) -> dict[str, str]:
    """`Vendor Name=department,...` (NYCKELTAL_HR_DEPARTMENTS) as {department_key(name):
    department}; raises ValueError naming the item that is not one and the departments."""
    departments: dict[str, str] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, _, department = (piece.strip() for piece in item.rpartition("="))
        if "'" in name or "\\" in name:
            raise ValueError(
                f"{item!r}: a department name with a quote or backslash cannot be mapped"
            )
        if not name or department.lower() not in DEPARTMENTS:
            raise ValueError(
                f"{item!r} is not Vendor Name=department with a department among "
                f"{', '.join(DEPARTMENTS)}"
            )
        departments[department_key(name)] = department.lower()
    return departments


# NYCKELTAL_GA4_EVENTS: GA4 event names renamed to the funnel's event names
# (seeds/funnel_steps.csv); GA4's recommended names by default, any other name is kept.
GA4_DEFAULT_EVENTS = (
    "page_view=page_view,sign_up=signup,begin_checkout=checkout_start,purchase=purchase"
)
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")


def parse_ga4_events(value: str) -> dict[str, str]:
    """`ga4_name=event_name,...` (NYCKELTAL_GA4_EVENTS) as {ga4_name: event_name}; raises
    ValueError naming the item that is not one (names: a letter, then letters, digits, _)."""
    names: dict[str, str] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        ga4_name, equals, name = (piece.strip() for piece in item.partition("="))
        if not equals or not _EVENT_NAME.fullmatch(ga4_name) or not _EVENT_NAME.fullmatch(name):
            raise ValueError(
                f"{item!r} is not ga4_event=event_name (names of letters, digits and _, "
                "starting with a letter)"
            )
        if ga4_name in names:
            raise ValueError(f"the GA4 event {ga4_name!r} is named twice")
        names[ga4_name] = name
    return names
