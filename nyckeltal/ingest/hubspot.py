"""`nyckeltal ingest hubspot`: HubSpot's public CRM API (v3) into the landing schema, with
dlt's `rest_api` source (docs/sources.md "HubSpot with dlt").

- Tables, as dlt writes them (schema `IngestConfig.dataset`): companies, contacts and deals
  (each HubSpot object a row merged on its `id`, its properties flattened into columns
  `properties__<name>`, always text as the API gives them; `archived` true for a deleted
  one), deals__associations__companies__results (a deal's companies: `id`, `type`, child of
  deals), deal_pipelines and deal_pipelines__stages (`id`, `archived`,
  `metadata__is_closed`, `metadata__probability`).
- Properties: the ones the mapping reads (PROPERTIES) and those NYCKELTAL_HUBSPOT_PROPERTIES
  selects, each checked first against HubSpot's property list of its object (an unknown one
  is one line naming it).
- Incremental: companies, contacts and deals through the search endpoint (POST
  /crm/v3/objects/<object>/search) filtered on the last-modified date >= the cursor dlt
  keeps (the newest `updatedAt` seen, per object and list of properties: a property added to
  NYCKELTAL_HUBSPOT_PROPERTIES reads its object's records again), sorted ascending, paged by
  `paging.next.after`; a changed deal is then read by id with its company associations (the
  search has none). HubSpot's search pages through at most 10,000 results per query: at
  that cap the search starts again from the last modified date read. The
  deleted (archived) objects are listed whole on every ingest (GET ...?archived=true; HubSpot
  keeps them 90 days and cannot filter them by date), the pipelines too (one request).
- Retries and atomicity as every ingest (nyckeltal.ingest.rest): 429 and 5xx retried with
  backoff, a 401 one line naming NYCKELTAL_HUBSPOT_API_KEY, a failed ingest leaving the data
  landed before as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from nyckeltal.context import RunContext
from nyckeltal.ingest import IngestError, IngestResult, Landing, from_settings, rest
from nyckeltal.vendor_layouts import HUBSPOT_DLT

DEFAULT_API_BASE = "https://api.hubapi.com"
KEY_SETTING = "NYCKELTAL_HUBSPOT_API_KEY"
KEY_FIELD = "hubspot_api_key"  # the Settings field of KEY_SETTING
VENDOR = rest.Vendor("HubSpot", "access token", KEY_SETTING, "hubspot")
STAGES = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
# The standard properties the mapping reads (models/sources/hubspot/dlt), per object.
PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "companies": (
        "name",
        "country",
        "numberofemployees",
        "hs_analytics_source",
        "hs_lifecyclestage_customer_date",
        "hs_lastmodifieddate",
    ),
    "contacts": (
        "associatedcompanyid",
        "hs_analytics_source",
        *(f"hs_lifecyclestage_{stage}_date" for stage in STAGES),
        "lastmodifieddate",
    ),
    "deals": ("dealstage", "pipeline", "closedate", "hs_lastmodifieddate"),
}
# The property the search filters and sorts on (HubSpot's names: contacts differ).
MODIFIED = {
    "companies": "hs_lastmodifieddate",
    "contacts": "lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
# The HubSpot object (companies, contacts: the landed table) of each contract column a
# custom property may fill.
OBJECTS = HUBSPOT_DLT.property_tables
EPOCH = "1970-01-01T00:00:00.000Z"


@dataclasses.dataclass(frozen=True)
class IngestConfig(Landing):
    """Where and how to ingest (read from the settings at the edge)."""

    api_key: str = dataclasses.field(repr=False)  # the credential, never in a repr
    dataset: str = "hubspot"  # the landing schema
    api_base: str = DEFAULT_API_BASE
    # NYCKELTAL_HUBSPOT_PROPERTIES, parsed: {contract column: HubSpot property}.
    custom_properties: Mapping[str, str] = dataclasses.field(default_factory=dict)
    page_size: int = 100  # HubSpot's `limit` (at most 100, 200 for the search)
    search_cap: int = 10_000  # the most results HubSpot's search pages through per query

    def __post_init__(self) -> None:
        if not self.api_key:
            raise IngestError(f"no HubSpot access token: set {KEY_SETTING}")

    def resource(self, objects: str) -> str:
        """The name of the search of `objects`, which keys its cursor in dlt's state: with
        the properties read in it, so that a changed property list reads everything again."""
        digest = hashlib.sha256(",".join(self.properties(objects)).encode()).hexdigest()
        return f"{objects}_{digest[:8]}"

    def properties(self, objects: str) -> tuple[str, ...]:
        """The properties requested for `objects` (companies, contacts, deals)."""
        custom = (
            name for column, name in self.custom_properties.items() if OBJECTS[column] == objects
        )
        return tuple(dict.fromkeys((*PROPERTIES[objects], *custom)))


def _milliseconds(stamp: str) -> str:
    """HubSpot's ISO time (`2024-01-04T10:00:00.000Z`) as the Unix milliseconds its search
    filters take."""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return str(round(moment.timestamp() * 1000))


# HubSpot's list paging: `paging.next.after` of the answer as `after` of the next request.
LIST_PAGINATOR = {"type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after"}


def _search_paginator(config: IngestConfig) -> Any:
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    class SearchPaginator(JSONResponseCursorPaginator):
        """The search's paging: `paging.next.after` as `after` of the next request's body;
        where the next page would pass the cap of results per query, the query again from
        the last modified date read (the records read twice are merged on their id)."""

        def __init__(self) -> None:
            super().__init__(cursor_path="paging.next.after", cursor_body_path="after")
            self._restart_from: str | None = None

        def update_state(self, response: Any, data: list[Any] | None = None) -> None:
            super().update_state(response, data)
            after = self._next_reference
            full = after is not None and int(after) + config.page_size > config.search_cap
            self._restart_from = data[-1]["updatedAt"] if full and data else None

        def update_request(self, request: Any) -> None:
            if self._restart_from is None:
                return super().update_request(request)
            [condition] = request.json["filterGroups"][0]["filters"]
            since = _milliseconds(self._restart_from)
            if since == condition["value"]:
                raise ValueError(
                    f"more than {config.search_cap} HubSpot records modified at "
                    f"{self._restart_from}: HubSpot's search cannot page through them"
                )
            request.json.pop("after", None)
            condition["value"] = since

    return SearchPaginator()


def _columns(config: IngestConfig, objects: str) -> dict[str, Any]:
    """A text type for every property read (the API gives strings; a property only ever
    null still gets its column), and `archived`."""
    columns = {f"properties__{name}": {"data_type": "text"} for name in config.properties(objects)}
    return {**columns, "archived": {"data_type": "bool"}}


def _search(config: IngestConfig, objects: str, selected: bool = True) -> dict[str, Any]:
    modified = MODIFIED[objects]
    return {
        "name": config.resource(objects),
        "table_name": objects,
        "selected": selected,
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": _columns(config, objects),
        "endpoint": {
            "path": f"crm/v3/objects/{objects}/search",
            "method": "POST",
            "data_selector": "results",
            "paginator": _search_paginator(config),
            "json": {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": modified,
                                "operator": "GTE",
                                "value": "{incremental.start_value}",
                            }
                        ]
                    }
                ],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": list(config.properties(objects)),
                "limit": config.page_size,
            },
            "incremental": {
                "cursor_path": "updatedAt",
                "initial_value": EPOCH,
                "convert": _milliseconds,
            },
        },
    }


def _archived(config: IngestConfig, objects: str) -> dict[str, Any]:
    return {
        "name": f"{objects}_archived",
        "table_name": objects,
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": _columns(config, objects),
        "endpoint": {
            "path": f"crm/v3/objects/{objects}",
            "data_selector": "results",
            "paginator": LIST_PAGINATOR,
            "params": {"archived": "true", "limit": config.page_size},
        },
    }


def source_config(config: IngestConfig) -> dict[str, Any]:
    """The rest_api source's configuration: the searches, the deals by id with their
    companies, the archived objects, the deal pipelines."""
    deal_properties = ",".join(config.properties("deals"))
    resources = [
        _search(config, "companies"),
        _search(config, "contacts"),
        _search(config, "deals", selected=False),
        {
            "name": "deals",
            "primary_key": "id",
            "write_disposition": "merge",
            "columns": _columns(config, "deals"),
            "endpoint": {
                "path": f"crm/v3/objects/deals/{{resources.{config.resource('deals')}.id}}",
                "data_selector": "$",
                "paginator": "single_page",
                "params": {"properties": deal_properties, "associations": "companies"},
            },
        },
        *(_archived(config, objects) for objects in PROPERTIES),
        {
            "name": "deal_pipelines",
            "primary_key": "id",
            "write_disposition": "replace",  # swapped in from staging (nyckeltal.ingest.land)
            "endpoint": {
                "path": "crm/v3/pipelines/deals",
                "data_selector": "results",
                "paginator": "single_page",
            },
        },
    ]
    return {
        "client": {
            "base_url": config.api_base.rstrip("/") + "/",
            "auth": {"type": "bearer", "token": config.api_key},
            "session": config.session(),
        },
        "resources": resources,
    }


def check_properties(config: IngestConfig) -> None:
    """Raise IngestError naming the first selected property HubSpot does not have (GET
    /crm/v3/properties/<object>), or the refused token."""
    session = config.session()
    for column, name in config.custom_properties.items():
        objects = OBJECTS[column]
        url = f"{config.api_base.rstrip('/')}/crm/v3/properties/{objects}"
        try:
            response = session.get(url, headers={"Authorization": f"Bearer {config.api_key}"})
            response.raise_for_status()
        except Exception as error:
            raise IngestError(rest.one_line(error, VENDOR)) from None
        if name not in {found["name"] for found in response.json().get("results", [])}:
            raise IngestError(
                f"NYCKELTAL_HUBSPOT_PROPERTIES {column}={name}: HubSpot has no {objects} "
                f"property {name}; {rest.UNCHANGED}"
            )


def ingest(config: IngestConfig) -> IngestResult:
    """Pull what changed since the last ingest into `config.dataset` of `config.destination`."""
    check_properties(config)
    return rest.run(config, source_config(config), VENDOR)


def config(context: RunContext) -> IngestConfig:
    """The ingest's configuration from the run context's settings (NYCKELTAL_HUBSPOT_API_KEY,
    NYCKELTAL_HUBSPOT_API_BASE, NYCKELTAL_HUBSPOT_SCHEMA, NYCKELTAL_HUBSPOT_PROPERTIES,
    NYCKELTAL_LANDING_DATABASE): the landing file when set, else the embedded warehouse."""
    fields = {
        "api_key": KEY_FIELD,
        "dataset": "hubspot_schema",
        "api_base": "hubspot_api_base",
        "custom_properties": "hubspot_properties",
    }
    return from_settings(IngestConfig, context, "HubSpot", fields)
