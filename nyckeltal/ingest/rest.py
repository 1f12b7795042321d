"""What every ingest with dlt's `rest_api` source shares (nyckeltal.ingest.<vendor>): the
retrying HTTP session, the one-line cause of a failure, and the atomic run.

- Retries: 429 (honouring Retry-After) and 5xx, with exponential backoff (dlt's requests
  client); a 401 or 403 is one line naming the credential's setting.
- Atomic: nothing is loaded unless every endpoint was read; a failed ingest drops its
  half-extracted package, so the data landed before stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nyckeltal.ingest import IngestResult, failure_cause, land

UNCHANGED = "the data landed before is unchanged"


class RestConfig(Protocol):
    """What is read here of a vendor's IngestConfig (a nyckeltal.ingest.Landing)."""

    destination: Path
    dataset: str
    pipelines_dir: Path | None

    def session(self) -> Any: ...


@dataclass(frozen=True)
class Vendor:
    """A vendor as the messages name it."""

    name: str  # HubSpot
    credential: str  # the access token
    setting: str  # NYCKELTAL_HUBSPOT_API_KEY
    source: str  # the rest_api source's name; dlt's pipeline is nyckeltal_<source>


def one_line(error: BaseException, vendor: Vendor) -> str:
    """The cause of a failed ingest on one line (a 401 or 403 names the setting)."""
    response, text = failure_cause(error)
    if response is None:
        return f"{text}; {UNCHANGED}"
    status = response.status_code
    if status in (401, 403):
        return (
            f"{vendor.name} refused the {vendor.credential} ({status}): "
            f"check {vendor.setting}; {UNCHANGED}"
        )
    return f"{vendor.name} answered {status} for {response.url} after retries; {UNCHANGED}"


def run(config: RestConfig, source_config: dict[str, Any], vendor: Vendor) -> IngestResult:
    """Run the rest_api source of `source_config` into `config.dataset` of
    `config.destination`, atomically (nyckeltal.ingest.land); the rows landed per table."""
    from dlt.sources.rest_api import rest_api_source

    return land(
        vendor.source,
        rest_api_source(source_config, name=vendor.source),
        config.destination,
        config.dataset,
        config.pipelines_dir,
        lambda error: one_line(error, vendor),
    )
