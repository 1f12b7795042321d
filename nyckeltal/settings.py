"""Every setting of Nyckeltal, read in this one module.

Settings come from environment variables named `NYCKELTAL_<FIELD>` (upper case), or from a
`.env` file in the project directory (`.env.example` lists them all), with defaults that run
the embedded DuckDB demo: nothing needs to be set. Relative paths are taken from the project
directory, whatever the working directory.

The edges (the command line, the Dagster code location and a run's resource config, the
tests) read them once, with `current()`, into the run's context (nyckeltal.context.RunContext),
which is passed down; nothing below the edges reads them again. dbt gets the values it needs
per invocation (RunContext.dbt_environment, nyckeltal.dbt_runner.dbt_cli).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nyckeltal.errors import NyckeltalError
from nyckeltal.vendor_layouts import (
    GA4_DEFAULT_EVENTS,
    SYSTEMS,
    parse_departments,
    parse_ga4_events,
    parse_properties,
)

DEFAULT_WAREHOUSE = Path("warehouse") / "nyckeltal.duckdb"
DEFAULT_PUBLISHED_NAME = "nyckeltal_published.duckdb"
ALERTS_FILE_NAME = "alerts.jsonl"
DEFAULT_REPORT_DIR_NAME = "report"
# The project folder of this package (the repository root): the default of
# NYCKELTAL_PROJECT_DIR, and of the `project` parameter of the library's functions that
# read the project's files (a constant, not a setting: the edges pass the configured one).
PACKAGE_PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PARQUET_DIR_NAME = "published"
PATH_FIELDS = (
    "warehouse",
    "published",
    "dbt_target_path",
    "gx_dir",
    "alerts_file",
    "report_dir",
    "duckdb_temp_directory",
    "publish_parquet_dir",
    "spark_dir",
    "dbt_profiles_dir",
    "landing_database",
)
# The settings profiles.yml reads (as NYCKELTAL_<FIELD>): RunContext.dbt_environment() passes
# them to dbt, whether they came from the environment, .env or the defaults.
ENGINE_FIELDS = (
    "target",
    "postgres_host",
    "postgres_port",
    "postgres_user",
    "postgres_password",
    "postgres_database",
    "postgres_schema",
    "postgres_sslmode",
    "spark_method",
    "spark_host",
    "spark_port",
    "spark_user",
    "spark_schema",
    "spark_dir",
    "spark_driver_memory",
)


# The schemas of landed vendor tables (NYCKELTAL_<VENDOR>_SCHEMA).
LANDING_SCHEMA_FIELDS = (
    "stripe_schema",
    "hubspot_schema",
    "ga4_schema",
    "google_ads_schema",
    "facebook_ads_schema",
    "personio_schema",
    "bamboohr_schema",
)


class Settings(BaseSettings):
    """The configuration of one process; see README.md "Configuration" for each field."""

    model_config = SettingsConfigDict(
        env_prefix="NYCKELTAL_",
        env_file=PACKAGE_PROJECT_DIR / ".env",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    # Where things are.
    project_dir: Path = PACKAGE_PROJECT_DIR
    warehouse: Path = DEFAULT_WAREHOUSE
    published: Path | None = None  # None: nyckeltal_published.duckdb beside the warehouse
    target: Literal["duckdb", "postgres", "spark"] = "duckdb"  # the dbt target of profiles.yml
    dbt_target_path: Path = Field(
        default=Path("target"),
        validation_alias=AliasChoices("NYCKELTAL_DBT_TARGET_PATH", "DBT_TARGET_PATH"),
    )
    gx_dir: Path = Path("expectations")
    # Dagster's home (DAGSTER_HOME, as Dagster reads it): `nyckeltal run` records its runs
    # there, where `dagster dev` shows them; None: an ephemeral instance.
    dagster_home: str | None = Field(default=None, validation_alias="DAGSTER_HOME")
    # A user's own dbt profiles (DBT_PROFILES_DIR, as dbt reads it); None: the repository's
    # profiles.yml, in the project folder.
    dbt_profiles_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("NYCKELTAL_DBT_PROFILES_DIR", "DBT_PROFILES_DIR"),
    )

    report_dir: Path | None = None  # None: report/ beside the warehouse

    # DuckDB, tuned for the machine: the loader and dbt's builds (see README "Configuration").
    duckdb_memory_limit: str = "75%"  # a DuckDB size (4GiB) or a share of the RAM (75%)
    duckdb_threads: int | None = Field(default=None, ge=1)  # None: the usable cores
    duckdb_temp_directory: Path | None = None  # None: the warehouse's folder

    # Publishing (besides the DuckDB snapshot `published`).
    publish_parquet: bool = True
    publish_parquet_dir: Path | None = None  # None: published/ beside the published file
    publish_postgres_url: SecretStr | None = None  # None: no PostgreSQL publication
    publish_postgres_schema: str = "marts"
    publish_postgres_reader_role: str = "nyckeltal_reader"
    publish_postgres_reader_password: SecretStr | None = None  # None: the role cannot log in

    # The PostgreSQL target (NYCKELTAL_TARGET=postgres): the server dbt builds in and
    # `nyckeltal load` writes the raw tables to.
    postgres_host: str = "localhost"
    postgres_port: int = 5432
    postgres_user: str = "nyckeltal"
    postgres_password: SecretStr | None = None
    postgres_database: str = "nyckeltal"
    postgres_schema: str = "public"  # dbt's base schema (the models use staging, marts, ...)
    postgres_sslmode: str = "prefer"
    # Where `nyckeltal run` publishes the validated marts in the same server (BI tools read
    # it; dbt builds in `marts`), unless NYCKELTAL_PUBLISH_POSTGRES_URL names another server.
    postgres_published_schema: str = "published"

    # The Spark target (NYCKELTAL_TARGET=spark): `session` runs a local Spark inside dbt
    # (pyspark; metastore, tables and raw Parquet under spark_dir); `thrift` connects to a
    # Spark Thrift server, whose raw tables must read the Parquet files under spark_dir.
    spark_method: Literal["session", "thrift"] = "session"
    spark_host: str = "localhost"
    spark_port: int = 10000
    spark_user: str = "nyckeltal"
    spark_schema: str = "default"
    spark_dir: Path = Path("warehouse") / "spark"
    spark_driver_memory: str = "2g"

    # Vendor sources (docs/sources.md): where the billing tables come from. `files`: the
    # contract's files (`nyckeltal load`); `stripe:fivetran`: Stripe as Fivetran lands it, in
    # the schema stripe_schema of the warehouse, or of the DuckDB file landing_database
    # (attached read-only), mapped into raw_billing by the refresh.
    billing_source: str = "files"
    stripe_schema: str = "stripe"
    landing_database: Path | None = None
    # `hubspot:fivetran`: the CRM (crm.customers, crm.leads) from HubSpot, in the schema
    # hubspot_schema; hubspot_properties: `column=property,...`, the HubSpot properties that
    # fill contract columns (vendor_layouts.HUBSPOT_PROPERTY_TABLES), parsed here once into
    # {column: property}.
    crm_source: str = "files"
    hubspot_schema: str = "hubspot"
    hubspot_properties: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # The people (hr.employees, hr.payroll), the ad platforms (marketing.campaigns,
    # marketing.ad_spend) and web analytics (marketing.web_events): `files` or a layout of
    # nyckeltal.vendor_layouts (HR, ADS, WEB).
    hr_source: str = "files"
    ads_source: str = "files"
    web_source: str = "files"
    # `ga4:bigquery`: GA4's BigQuery export (events, or events_YYYYMMDD) in the schema
    # ga4_schema; ga4_events: `ga4_event=event_name,...`, the GA4 events renamed to the
    # funnel's event names (seeds/funnel_steps.csv; any other name is kept).
    ga4_schema: str = "ga4"
    ga4_events: str = GA4_DEFAULT_EVENTS
    # `google_ads:fivetran`, `facebook_ads:fivetran` or both joined with `+`: the schemas of
    # the landed Google Ads and Facebook Ads tables.
    google_ads_schema: str = "google_ads"
    facebook_ads_schema: str = "facebook_ads"
    # A metadata key of the Stripe customer holding the CRM customer id (None: the Stripe id).
    stripe_customer_id_metadata_key: str | None = None
    # `nyckeltal ingest stripe` (layout stripe:dlt): the secret API key and the API's base URL.
    stripe_api_key: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com/v1"
    # `personio:dlt` (NYCKELTAL_HR_SOURCE): hr.employees from Personio, as `nyckeltal ingest
    # personio` lands it in the schema personio_schema (docs/sources.md "Personio"): the API
    # credentials, the API's base URL, the weekly hours of a full-time employee (fte = weekly
    # hours / these, at most 1), the employee attributes holding the contract's employee id
    # (`id`: Personio's) and product line (None: null), as Personio's attribute keys.
    personio_schema: str = "personio"
    personio_client_id: str | None = None
    personio_client_secret: SecretStr | None = None
    personio_api_base: str = "https://api.personio.de"
    personio_full_time_hours: float = Field(default=40.0, gt=0, le=168)
    personio_employee_id_attribute: str = "id"
    personio_product_line_attribute: str | None = None
    # `bamboohr:dlt` (NYCKELTAL_HR_SOURCE): hr.employees from BambooHR, as `nyckeltal ingest
    # bamboohr` lands it in the schema bamboohr_schema (docs/sources.md "BambooHR"): the API
    # key, the company's subdomain, the API's base URL (None: built from the subdomain), the
    # employee fields holding the contract's employee id (`id`: BambooHR's), product line
    # (None: null) and FTE (None: 1 for a Full-Time employment status, else null), as
    # BambooHR's field names.
    bamboohr_schema: str = "bamboohr"
    bamboohr_api_key: SecretStr | None = None
    bamboohr_company_domain: str | None = None
    bamboohr_api_base: str | None = None
    bamboohr_employee_id_field: str = "id"
    bamboohr_product_line_field: str | None = None
    bamboohr_fte_field: str | None = None
    # An HR system's department names that are not the contract's (`Vendor Name=department,
    # ...`; vendor_layouts.parse_departments): matched trimmed and case-insensitively.
    hr_departments: str = ""
    # `nyckeltal ingest hubspot` (layout hubspot:dlt): a private app's access token and the
    # API's base URL.
    hubspot_api_key: SecretStr | None = None
    hubspot_api_base: str = "https://api.hubapi.com"

    # KPIs.
    reporting_currency: str | None = None  # None: the dbt var of dbt_project.yml

    # Data quality.
    # dbt's data tests (not_null, unique, ... on models) in the daily refresh. Off: they are
    # checks of the SQL, which `make test` runs on the demo and the hard cases; a refresh is
    # gated by the Great Expectations suites of the sources and the marts (and the marts'
    # enforced contracts). On: every data test runs in `dbt build` as a Dagster asset check.
    refresh_dbt_tests: bool = False
    max_row_drop: float = Field(default=0.5, ge=0, le=1)
    # Raw dates and timestamps after this many years from today are refused (nyckeltal.horizon).
    date_horizon_years: int = Field(default=10, ge=1, le=1000)
    dq_warn: str = ""
    dq_error: str = ""
    # How the Great Expectations suites are executed on DuckDB: `compiled` (one query per
    # suite, nyckeltal/quality/compiled.py; what does not compile runs in GX) or `gx` (GX's
    # own execution, a few queries per expectation). Results and Data Docs are GX's either way.
    gx_execution: Literal["compiled", "gx"] = "compiled"

    # The daily job.
    schedule_cron: str = "0 6 * * *"
    schedule_timezone: str = "Europe/Stockholm"
    schedule_enabled: bool = True
    retries: int = Field(default=3, ge=0)
    retry_delay_seconds: float = Field(default=10.0, ge=0)
    # How long a command or run that writes the warehouse waits for the one writing it now
    # (nyckeltal.locking); 0: fail at once.
    lock_wait_seconds: float = Field(default=60.0, ge=0)

    # KPI alerts.
    alerts_file: Path | None = None  # None: alerts.jsonl beside the warehouse
    alert_webhook_url: str | None = None
    alert_apprise_urls: str | None = None  # Apprise URLs (Slack, Teams, mailto://...)
    alert_change_share: float = Field(default=0.25, ge=0)
    alert_include_incomplete: bool = False

    @field_validator(*(system.source_field for system in SYSTEMS))
    @classmethod
    def _vendor_source(cls, value: str, info: ValidationInfo) -> str:
        """A system's source: `files` or one of its layouts (nyckeltal.vendor_layouts)."""
        system = next(system for system in SYSTEMS if system.source_field == info.field_name)
        value = value.strip().lower()
        if value not in system.values:
            raise ValueError(
                f"supported {system.name} sources are {', '.join(system.values)}"
                + (" (this layout is not supported yet)" if value in system.planned else "")
            )
        return value

    @field_validator("hubspot_properties", mode="before")
    @classmethod
    def _hubspot_properties(cls, value: object) -> object:
        """`column=property,...` as {column: property} (vendor_layouts.parse_properties)."""
        return parse_properties(value) if isinstance(value, str) else value

    @field_validator("hr_departments")
    @classmethod
    def _hr_departments(cls, value: str) -> str:
        parse_departments(value)
        return value

    @field_validator("personio_employee_id_attribute", "personio_product_line_attribute")
    @classmethod
    def _personio_attribute(cls, value: str | None) -> str | None:
        """An attribute key of Personio's employees (`id`, `dynamic_123456`), lower case."""
        if value is None:
            return None
        value = value.strip().lower()
        if not value or not value.replace("_", "").isalnum() or not value.isascii():
            raise ValueError("an attribute key of Personio's employees (id, dynamic_123456)")
        return value

    @field_validator(
        "bamboohr_employee_id_field", "bamboohr_product_line_field", "bamboohr_fte_field"
    )
    @classmethod
    def _bamboohr_field(cls, value: str | None) -> str | None:
        """A field name of BambooHR's employees (`employeeNumber`, `4021`), case kept."""
        expected = "a field name of BambooHR's employees (employeeNumber, 4021)"
        return value and _matching(value.strip(), r"[A-Za-z0-9_]{1,100}", expected)

    @field_validator("bamboohr_company_domain")
    @classmethod
    def _bamboohr_domain(cls, value: str | None) -> str | None:
        """The company's BambooHR subdomain (`acme` of acme.bamboohr.com)."""
        domain = value and value.strip().lower().removesuffix(".bamboohr.com")
        expected = "the company's BambooHR subdomain (acme of acme.bamboohr.com)"
        return domain and _matching(domain, r"[a-z0-9][a-z0-9-]{0,62}", expected)

    @field_validator("ga4_events")
    @classmethod
    def _ga4_events(cls, value: str) -> str:
        parse_ga4_events(value)
        return value

    @field_validator(*LANDING_SCHEMA_FIELDS)
    @classmethod
    def _landing_schema(cls, value: str) -> str:
        """A plain lower-case identifier: the schema's tables are looked up by name, dbt's
        sources quote it, and dlt lands in it unchanged (dlt writes other names in snake
        case, so that `hubspot-prod` would be landed as `hubspot_prod`)."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", value):
            raise ValueError(
                "a schema name of lower-case letters, digits and _, not starting with a digit"
            )
        return value

    @field_validator("reporting_currency")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.strip().upper() if value else None

    @field_validator("project_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator(*PATH_FIELDS)
    @classmethod
    def _from_project(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """Relative paths are taken from the project directory (validated before them)."""
        if value is None:
            return None
        value = value.expanduser()
        project = info.data.get("project_dir", PACKAGE_PROJECT_DIR)
        return (value if value.is_absolute() else project / value).resolve()


def _matching(value: str, pattern: str, expected: str) -> str:
    """`value` when it matches `pattern` in full, else ValueError(`expected`)."""
    if not re.fullmatch(pattern, value):
        raise ValueError(expected)
    return value


class SettingsError(NyckeltalError):
    """A setting has a value it cannot take; the message names the variable."""


def current() -> Settings:
    """The settings of the environment now (read again on every call: tests change it)."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"NYCKELTAL_{str(problem['loc'][0]).upper()}: {problem['msg']}"
            f" (got {problem.get('input')!r})"
            for problem in error.errors()
        )
        raise SettingsError(f"invalid setting: {problems}") from None


def project_dir() -> Path:
    """The dbt project directory (the repository root unless NYCKELTAL_PROJECT_DIR is set)."""
    return current().project_dir


def warehouse_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB warehouse file: the argument, else NYCKELTAL_WAREHOUSE, else the default."""
    if explicit is not None:
        return Path(explicit).resolve()
    return current().warehouse


def published_path(
    warehouse: str | os.PathLike[str] | None = None,
    explicit: str | os.PathLike[str] | None = None,
) -> Path:
    """The PUBLISHED marts file that BI tools and `nyckeltal scorecard` read: the argument,
    else NYCKELTAL_PUBLISHED, else `nyckeltal_published.duckdb` beside the warehouse file."""
    if explicit is not None:
        return Path(explicit).resolve()
    configured = current().published
    return configured or warehouse_path(warehouse).with_name(DEFAULT_PUBLISHED_NAME)


def alerts_path(warehouse: str | os.PathLike[str] | None = None) -> Path:
    """The JSON-lines alert file: NYCKELTAL_ALERTS_FILE, else alerts.jsonl beside the
    warehouse file."""
    configured = current().alerts_file
    return configured or warehouse_path(warehouse).with_name(ALERTS_FILE_NAME)


def report_dir(
    warehouse: str | os.PathLike[str] | None = None,
    explicit: str | os.PathLike[str] | None = None,
) -> Path:
    """Where `nyckeltal report` and the Dagster `kpi_report` asset write the KPI report: the
    argument, else NYCKELTAL_REPORT_DIR, else `report/` beside the warehouse file."""
    if explicit is not None:
        return Path(explicit).resolve()
    configured = current().report_dir
    return configured or warehouse_path(warehouse).with_name(DEFAULT_REPORT_DIR_NAME)


def memory_limit_size(value: str) -> str:
    """DuckDB's `memory_limit` from NYCKELTAL_DUCKDB_MEMORY_LIMIT: a DuckDB size, or a share
    of the machine's RAM turned into MiB (DuckDB does not take `%`); beyond it DuckDB spills
    to disk."""
    value = value.strip()
    if not value.endswith("%"):
        return value
    try:
        share = float(value[:-1]) / 100
    except ValueError:
        raise SettingsError(
            f"NYCKELTAL_DUCKDB_MEMORY_LIMIT={value!r} is not a size (4GiB) or a share (75%)"
        ) from None
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, int(total * share) >> 20)}MiB"


def usable_cores() -> int:
    """The cores this process may use (DuckDB's threads unless NYCKELTAL_DUCKDB_THREADS)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@cache
def project_vars(project: Path) -> dict[str, object]:
    """The `vars:` block of `project`'s dbt_project.yml (the defaults of every KPI setting)."""
    with open(project / "dbt_project.yml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle).get("vars") or {})


def reporting_currency() -> str:
    """The reporting currency: NYCKELTAL_REPORTING_CURRENCY, else the dbt var default."""
    config = current()
    return (
        config.reporting_currency
        or str(project_vars(config.project_dir)["reporting_currency"]).upper()
    )


def engine_environment(config: Settings | None = None) -> dict[str, str]:
    """The NYCKELTAL_* variables profiles.yml reads, from these settings (so that values of
    .env reach dbt too)."""
    config = config or current()
    environment = {}
    for name in ENGINE_FIELDS:
        value = getattr(config, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        environment[f"NYCKELTAL_{name.upper()}"] = str(value)
    return environment


def environment_without_settings() -> dict[str, str]:
    """This process's environment without any Nyckeltal, Dagster home or dbt profiles setting
    (the benchmark starts its stages from it, each with only its own settings)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("NYCKELTAL_") and name not in ("DAGSTER_HOME", "DBT_PROFILES_DIR")
    }
