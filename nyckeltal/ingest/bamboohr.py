"""`nyckeltal ingest bamboohr`: BambooHR's public API (v1) into the landing schema, with dlt
(docs/sources.md "BambooHR").

- Base: `https://api.bamboohr.com/api/gateway.php/<company domain>/v1`. Auth: HTTP Basic,
  the API key as the user name and any password ("x"); `Accept: application/json`.
- Table, as dlt writes it (schema `IngestConfig.dataset`): `employees`, merged on BambooHR's
  `id`, one column per employee field read, named by dlt in snake case (`hireDate` is
  hire_date): id, status, hireDate, terminationDate, department, employmentHistoryStatus,
  lastChanged, and the configured id, product-line and FTE fields. Only these fields are
  asked for: nothing else of a person (salary, address) is landed. Dates are the calendar
  dates BambooHR writes (`YYYY-MM-DD`; `0000-00-00`, no date, is null), lastChanged a UTC
  timestamp, the rest text.
- First ingest: one custom report (`POST /reports/custom?format=JSON`) of every employee,
  former ones included (`onlyCurrent=false`), with these fields.
- Incremental: afterwards, `GET /employees/changed?since=` the newest lastChanged landed
  lists the employees inserted, updated or deleted since; each inserted or updated one is
  read (`GET /employees/{id}?fields=...`), each deleted one is deleted from the landed
  table. dlt's cursor drops those read again unchanged.
- Retries: 429 (honouring Retry-After) and 5xx, with exponential backoff (dlt's requests
  client); a refused API key (401, 403) is one line naming NYCKELTAL_BAMBOOHR_API_KEY.
- Atomic: a failed ingest drops its half-extracted package; the data landed before stays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from nyckeltal import ingest as shared
from nyckeltal.context import RunContext
from nyckeltal.ingest import IngestError, IngestResult, landed_column, landed_value, rest
from nyckeltal.vendor_layouts import BAMBOOHR_DLT
from nyckeltal.vendors import vendor_fields

API_BASE = "https://api.bamboohr.com/api/gateway.php/{domain}/v1"
KEY_SETTING = "NYCKELTAL_BAMBOOHR_API_KEY"
DOMAIN_SETTING = "NYCKELTAL_BAMBOOHR_COMPANY_DOMAIN"
KEY_FIELD = "bamboohr_api_key"  # the Settings field of KEY_SETTING
VENDOR = rest.Vendor("BambooHR", "API key", KEY_SETTING, "bamboohr")
# The fields read (BambooHR's names), and their landed types (others asked for are text).
FIELDS: dict[str, str] = dict.fromkeys(("id", "status", "department"), "text") | {
    "hireDate": "date",
    "terminationDate": "date",
    "employmentHistoryStatus": "text",
    "lastChanged": "timestamp",
}
TABLE = "employees"
CURSOR = "lastChanged"
CURSOR_COLUMN = "last_changed"  # landed_column(CURSOR): dlt's cursor
NO_DATE = "0000-00-00"  # BambooHR's empty date
DELETED = "deleted"  # a row of a deleted employee: deleted from the landed table (dlt)
ACCEPT = {"Accept": "application/json"}


@dataclasses.dataclass(frozen=True)
class IngestConfig(shared.Landing):
    """Where and how to ingest (read from the settings at the edge)."""

    api_key: str = dataclasses.field(repr=False)  # the credential, never in a repr
    api_base: str  # the API's root, `.../gateway.php/<company domain>/v1`
    dataset: str = "bamboohr"  # the landing schema
    extra_fields: tuple[str, ...] = ()  # field names (the id, the product line, the FTE)

    def __post_init__(self) -> None:
        if not self.api_key:
            raise IngestError(f"no BambooHR API key: set {KEY_SETTING}")
        if not self.api_base:
            raise IngestError(f"no BambooHR company: set {DOMAIN_SETTING}")

    @property
    def fields(self) -> dict[str, str]:
        """Every field asked for, with its landed type."""
        return FIELDS | {name: "text" for name in self.extra_fields if name not in FIELDS}


def employee_row(employee: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """The landed row of one employee of a report, or read by its id."""
    return {
        landed_column(name): landed_value(
            None if employee.get(name) == NO_DATE else employee.get(name), kind
        )
        for name, kind in fields.items()
    }


def _json(response: Any) -> Any:
    response.raise_for_status()  # after the session's retries
    return response.json()


def _report(config: IngestConfig, session: Any) -> list[dict[str, Any]]:
    """Every employee, former ones included, with the fields read (one custom report)."""
    body = {"title": "Nyckeltal employees", "fields": list(config.fields)}
    params = {"format": "JSON", "onlyCurrent": "false"}
    url = f"{config.api_base}/reports/custom"
    return _json(session.post(url, params=params, json=body)).get("employees") or []


def _changed(config: IngestConfig, session: Any, since: dt.datetime) -> Iterator[dict[str, Any]]:
    """The employees changed since `since`: each inserted or updated one read with the
    fields; a deleted one as its id, lastChanged and the DELETED flag."""
    stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = f"{config.api_base}/employees/changed"
    listed = _json(session.get(url, params={"since": stamp})).get("employees") or {}
    fields = ",".join(config.fields)
    for number, change in listed.items():
        employee_id = str(change.get("id") or number)
        if change.get("action") == "Deleted":
            yield {"id": employee_id, CURSOR: change.get("lastChanged"), DELETED: True}
            continue
        url = f"{config.api_base}/employees/{employee_id}"
        yield {"id": employee_id, **_json(session.get(url, params={"fields": fields}))}


def _resource(config: IngestConfig, session: Any) -> Any:
    """The resource `employees`: all in one report the first time, then those changed."""
    fields = config.fields

    def read(since: dt.datetime | None) -> Iterator[list[dict[str, Any]]]:
        employees = _report(config, session) if since is None else _changed(config, session, since)
        yield [
            {**employee_row(employee, fields), DELETED: employee.get(DELETED, False)}
            for employee in employees
        ]

    types = {landed_column(name): kind for name, kind in fields.items()}
    hints = {DELETED: {"data_type": "bool", "hard_delete": True}}
    return shared.merged_resource(TABLE, types, CURSOR_COLUMN, read, hints)


def ingest(config: IngestConfig) -> IngestResult:
    """Pull the employees changed since the last ingest into `config.dataset` of
    `config.destination`."""
    session = config.session()
    session.auth = (config.api_key, "x")
    session.headers.update(ACCEPT)
    return shared.land(
        VENDOR.source,
        _resource(config, session),
        config.destination,
        config.dataset,
        config.pipelines_dir,
        lambda error: rest.one_line(error, VENDOR),
    )


def api_base(context: RunContext) -> str:
    """NYCKELTAL_BAMBOOHR_API_BASE, else the API's root for the company's subdomain ('' when
    neither is set: the config refuses it, naming the setting)."""
    settings = context.settings
    if settings.bamboohr_api_base:
        return settings.bamboohr_api_base.rstrip("/")
    domain = settings.bamboohr_company_domain
    return API_BASE.format(domain=domain) if domain else ""


def config(context: RunContext) -> IngestConfig:
    """The ingest's configuration from the run context's settings (NYCKELTAL_BAMBOOHR_*,
    NYCKELTAL_LANDING_DATABASE): the landing file when set, else the embedded warehouse."""
    extra = vendor_fields(context, BAMBOOHR_DLT).values()
    fields = {"api_key": KEY_FIELD, "dataset": "bamboohr_schema"}
    return shared.from_settings(
        IngestConfig,
        context,
        "BambooHR",
        fields,
        api_base=api_base(context),
        extra_fields=tuple(dict.fromkeys(extra)),
    )
