"""`nyckeltal ingest personio`: Personio's public API (v1) into the landing schema, with dlt
(docs/sources.md "Personio").

- Auth: POST /v1/auth with the client id and secret gives a bearer token (valid a day), used
  for every request of the ingest.
- Table, as dlt writes it (schema `IngestConfig.dataset`): `employees`, merged on Personio's
  `id`, one column per employee attribute read (its key: id, status, hire_date,
  termination_date, last_working_day, weekly_working_hours, department, last_modified_at, and
  the configured id and product-line attributes). Only these attributes are asked for
  (`attributes[]`): nothing else of a person (salary, bank details) is landed. Personio's
  `{"label", "value", "type"}` objects are reduced to their value: a department to its name,
  a date (`2014-11-09T00:00:00+01:00`, midnight in the company's time zone) to the calendar
  date as written (never shifted to UTC), last_modified_at to a UTC timestamp.
- Pages: GET /v1/company/employees by `limit`/`offset`, until a short page, the
  metadata's total, or a page with no employee not seen before.
- Incremental: after the first ingest, only the employees updated since the newest
  `last_modified_at` landed, less a day (`updated_since`, a date: the API does not say in
  which time zone it reads a time); dlt's cursor drops those read again unchanged. The API
  lists no deleted employee: a deleted one stays landed (docs/sources.md).
- Retries: 429 (honouring Retry-After) and 5xx, with exponential backoff (dlt's requests
  client); refused credentials or an expired token are one line naming the settings.
- Atomic: a failed ingest drops its half-extracted package; the data landed before stays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from nyckeltal import ingest as shared
from nyckeltal.context import RunContext
from nyckeltal.ingest import IngestError, IngestResult

DEFAULT_API_BASE = "https://api.personio.de"
ID_SETTING = "NYCKELTAL_PERSONIO_CLIENT_ID"
SECRET_SETTING = "NYCKELTAL_PERSONIO_CLIENT_SECRET"
KEY_FIELD = "personio_client_secret"  # the Settings field of SECRET_SETTING
TABLE = "employees"
# The attributes read, and their landed types (others asked for are text).
ATTRIBUTES: dict[str, str] = {
    "id": "text",
    "status": "text",
    "hire_date": "date",
    "termination_date": "date",
    "last_working_day": "date",
    "weekly_working_hours": "text",
    "department": "text",
    "last_modified_at": "timestamp",
}
CURSOR = "last_modified_at"
# Read again before the cursor: updated_since is a date, in the company's time zone.
OVERLAP = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class IngestConfig(shared.Landing):
    """Where and how to ingest (read from the settings at the edge)."""

    client_id: str
    client_secret: str = dataclasses.field(repr=False)  # never in a repr
    dataset: str = "personio"  # the landing schema
    api_base: str = DEFAULT_API_BASE
    extra_attributes: tuple[str, ...] = ()  # attribute keys (the id, the product line)
    page_size: int = 200

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise IngestError(f"no Personio API credentials: set {ID_SETTING} and {SECRET_SETTING}")

    @property
    def attributes(self) -> dict[str, str]:
        """Every attribute asked for, with its landed type."""
        return ATTRIBUTES | {key: "text" for key in self.extra_attributes if key not in ATTRIBUTES}


def _value(value: Any, kind: str) -> Any:
    """An attribute's value as landed: an object (a department) its name, a date the date
    as written, last_modified_at a UTC time, the rest text."""
    if isinstance(value, dict):
        value = (value.get("attributes") or {}).get("name")
        return None if value is None else str(value)
    return shared.landed_value(value, kind)


def employee_row(employee: dict[str, Any], attributes: dict[str, str]) -> dict[str, Any]:
    """The landed row of one employee of the API's list."""
    found = employee.get("attributes") or {}
    return {
        key: _value((found.get(key) or {}).get("value"), kind) for key, kind in attributes.items()
    }


def _pages(config: IngestConfig, session: Any, since: dt.datetime | None) -> Iterator[list]:
    """The employees' pages (the list's `data`), after a token from /v1/auth."""
    base = config.api_base.rstrip("/")
    auth = session.post(
        f"{base}/v1/auth",
        json={"client_id": config.client_id, "client_secret": config.client_secret},
        headers={"Accept": "application/json"},
    )
    auth.raise_for_status()
    token = auth.json()["data"]["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params: dict[str, Any] = {"limit": config.page_size, "attributes[]": list(config.attributes)}
    if since is not None:
        params["updated_since"] = (since - OVERLAP).date().isoformat()
    seen: set[str] = set()
    offset = 0
    while True:
        response = session.get(
            f"{base}/v1/company/employees", params={**params, "offset": offset}, headers=headers
        )
        response.raise_for_status()
        body = response.json()
        data = body.get("data") or []
        ids = {str((item.get("attributes") or {}).get("id", {}).get("value")) for item in data}
        if not ids - seen:  # an empty page, or one the API repeated (it ignored the offset)
            return
        seen |= ids
        yield data
        offset += config.page_size
        total = (body.get("metadata") or {}).get("total_elements")
        if len(data) < config.page_size or (total is not None and offset >= total):
            return


def _resource(config: IngestConfig, session: Any) -> Any:
    """The resource `employees`: the pages of those updated since the cursor."""
    attributes = config.attributes

    def read(since: dt.datetime | None) -> Iterator[list[dict[str, Any]]]:
        for page in _pages(config, session, since):
            yield [employee_row(employee, attributes) for employee in page]

    return shared.merged_resource(TABLE, attributes, CURSOR, read)


def _one_line(error: BaseException) -> str:
    """The cause of a failed ingest on one line (refused credentials name the settings)."""
    unchanged = "the data landed before is unchanged"
    response, text = shared.failure_cause(error)
    if response is None:
        return f"{text}; {unchanged}"
    status = response.status_code
    if str(response.url).rstrip("/").endswith("/v1/auth") and status in (400, 401, 403):
        return (
            f"Personio refused the API credentials ({status}): check {ID_SETTING} and "
            f"{SECRET_SETTING}; {unchanged}"
        )
    if status in (401, 403):
        return (
            f"Personio refused the access token ({status}: expired, or without the "
            f"employees' read scope): check {ID_SETTING} and {SECRET_SETTING}; {unchanged}"
        )
    return f"Personio answered {status} for {response.url} after retries; {unchanged}"


def ingest(config: IngestConfig) -> IngestResult:
    """Pull the employees changed since the last ingest into `config.dataset` of
    `config.destination`."""
    session = config.session()
    return shared.land(
        "personio",
        _resource(config, session),
        config.destination,
        config.dataset,
        config.pipelines_dir,
        _one_line,
    )


def config(context: RunContext) -> IngestConfig:
    """The ingest's configuration from the run context's settings (NYCKELTAL_PERSONIO_*,
    NYCKELTAL_LANDING_DATABASE): the landing file when set, else the embedded warehouse."""
    settings = context.settings
    extra = (settings.personio_employee_id_attribute, settings.personio_product_line_attribute)
    fields = {
        "client_id": "personio_client_id",
        "client_secret": KEY_FIELD,
        "dataset": "personio_schema",
        "api_base": "personio_api_base",
    }
    return shared.from_settings(
        IngestConfig, context, "Personio", fields, extra_attributes=tuple(k for k in extra if k)
    )
