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

from nyckeltal.ingest import IngestError, IngestResult

UNCHANGED = "the data landed before is unchanged"


class RestConfig(Protocol):
    """The fields of a vendor's IngestConfig read here."""

    destination: Path
    dataset: str
    pipelines_dir: Path | None
    max_attempts: int
    backoff_factor: float
    max_retry_delay: float


@dataclass(frozen=True)
class Vendor:
    """A vendor as the messages name it."""

    name: str  # Stripe
    credential: str  # the API key
    setting: str  # NYCKELTAL_STRIPE_API_KEY
    pipeline: str  # dlt's pipeline name (its state: the cursors)
    source: str  # the rest_api source's name


def session(config: RestConfig) -> Any:
    """A requests session retrying 429 (after Retry-After) and 5xx with backoff."""
    from dlt.sources.helpers.requests import Client

    return Client(
        request_max_attempts=config.max_attempts,
        request_backoff_factor=config.backoff_factor,
        request_max_retry_delay=config.max_retry_delay,
        respect_retry_after_header=True,
        raise_for_status=False,  # the REST client raises, after the retries
    ).session


def one_line(error: BaseException, vendor: Vendor) -> str:
    """The cause of a failed ingest on one line (a 401 or 403 names the setting)."""
    cause: BaseException | None = error
    while cause is not None:
        response = getattr(cause, "response", None)
        status = getattr(response, "status_code", None)
        if status in (401, 403):
            return (
                f"{vendor.name} refused the {vendor.credential} ({status}): "
                f"check {vendor.setting}; {UNCHANGED}"
            )
        if status is not None:
            return f"{vendor.name} answered {status} for {response.url} after retries; {UNCHANGED}"
        if cause.__cause__ is None and cause.__context__ is None:
            break
        cause = cause.__cause__ or cause.__context__
    text = " ".join(str(cause or error).split())
    return f"{text[:300]}; {UNCHANGED}"


def run(config: RestConfig, source_config: dict[str, Any], vendor: Vendor) -> IngestResult:
    """Run the rest_api source of `source_config` into `config.dataset` of
    `config.destination`, atomically; the rows landed per table."""
    import dlt
    from dlt.sources.rest_api import rest_api_source

    config.destination.parent.mkdir(parents=True, exist_ok=True)
    pipeline = dlt.pipeline(
        pipeline_name=vendor.pipeline,
        pipelines_dir=str(config.pipelines_dir or config.destination.parent / ".dlt_pipelines"),
        destination=dlt.destinations.duckdb(str(config.destination)),
        dataset_name=config.dataset,
    )
    source = rest_api_source(source_config, name=vendor.source)
    try:
        info = pipeline.run(source)
    except Exception as error:  # dlt wraps every step's failure (PipelineStepFailed)
        pipeline.abort_packages()  # the half-extracted package; the state as before
        raise IngestError(one_line(error, vendor)) from None
    rows = {
        table: count
        for table, count in pipeline.last_trace.last_normalize_info.row_counts.items()
        if not table.startswith("_dlt")
    }
    info.raise_on_failed_jobs()
    return IngestResult(
        vendor=vendor.source, rows=rows, destination=config.destination, dataset=config.dataset
    )
