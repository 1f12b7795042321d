"""The planted company of the vendor-source tests, and its twins.

The company is tests/fixtures/minimal's CRM, HR and marketing with the billing of
tests/fixtures/stripe_company. Each vendor test writes part of it as a vendor's landed
tables, leaves those contract files out, and compares what the mapping makes of them with
the company given as contract files only.

Two ways to compare, from cheap to dear:
- `assert_maps_like_files(files_loaded(...), vendor_warehouse)`: the raw contract relations
  of a warehouse whose vendor tables were mapped equal, value for value, those of the company
  loaded from its files (`files_loaded`: a load, no dbt, once per test run). Every model, KPI
  and check downstream reads only the raw contract relations and runs unchanged whatever the
  source (nyckeltal/vendors.py), so equal raw relations make every KPI equal. The vendor
  warehouse is either a refreshed twin that already exists (tests/fivetran_twin.py: free) or
  `mapped_twin` (the load and the mapping, a refresh's first step: one dbt parse and run of
  the mapping models, about a third of a refresh).
- `refresh_company` + `files_twin` + `assert_same_scorecard`: a whole `nyckeltal run` (about
  a minute) and the published scorecards compared. Only for what a run alone does: several
  vendors mapped in one refresh (tests/fivetran_twin.py), an ingest inside the run
  (test_source_stripe_dlt).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from api_replay import serving
from float_rows import assert_same_rows, without_floats
from run_folders import runs_write_under
from shared_warehouses import build_once
from test_optional_tables import _scorecard

from nyckeltal import contract, pipeline, vendors
from nyckeltal.cli import main
from nyckeltal.context import RunContext
from nyckeltal.loader import load_directory

FIXTURES = Path(__file__).parent / "fixtures"
BILLING_FROM_STRIPE = ("billing__plans", "billing__subscriptions", "billing__invoices")
CRM_FROM_HUBSPOT = ("crm__customers", "crm__leads")


def company_files(folder: Path, leave_out: Collection[str] = ()) -> Path:
    """The planted company's contract files in `folder`, but those named in `leave_out`
    (file stems: the tables a vendor source maps)."""
    folder.mkdir(parents=True)
    for path in sorted((FIXTURES / "minimal").iterdir()):
        if not path.stem.startswith("billing__") and path.stem not in leave_out:
            shutil.copyfile(path, folder / path.name)
    for path in sorted((FIXTURES / "stripe_company").iterdir()):
        if path.stem not in leave_out:
            shutil.copyfile(path, folder / path.name)
    return folder


def refresh_company(
    folder: Path,
    prepare: Callable[[pytest.MonkeyPatch], None] | None = None,
    before_run: tuple[str, ...] = (),
    leave_out: Collection[str] = BILLING_FROM_STRIPE,
) -> Path:
    """The planted company loaded into folder/nyckeltal.duckdb and refreshed (`nyckeltal
    run`, its output in folder/run.log): from its contract files only, or, with `prepare`
    (setting the vendor source up), without the files of `leave_out`; `before_run`: a
    command run between the load and the refresh. The warehouse."""
    company = company_files(folder / "company", leave_out if prepare else ())
    warehouse = folder / "nyckeltal.duckdb"
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(output):
        runs_write_under(patch, folder, alerts=True)
        if prepare is not None:
            prepare(patch)
        assert main(["load", str(company), "--warehouse", str(warehouse)]) == 0, output.getvalue()
        if before_run:
            assert main([*before_run, "--warehouse", str(warehouse)]) == 0, output.getvalue()
        code = main(["run", "--warehouse", str(warehouse)])
    (folder / "run.log").write_text(output.getvalue())
    assert code == 0, output.getvalue()
    return warehouse


def ingest_and_refresh(
    folder: Path, api: Any, vendor: str, settings: Mapping[str, str], leave_out: Collection[str]
) -> Path:
    """The company ingested by `nyckeltal ingest VENDOR` from the stand-in `api` (served on
    127.0.0.1 meanwhile; NYCKELTAL_<VENDOR>_API_BASE its URL) into its warehouse, then
    refreshed (the refresh ingests again) with `settings` (environment variables), without
    the files of `leave_out`: the warehouse."""

    def prepare(patch: pytest.MonkeyPatch) -> None:
        patch.setenv(f"NYCKELTAL_{vendor.upper()}_API_BASE", api.base_url)
        for name, value in settings.items():
            patch.setenv(name, value)

    with serving(api):
        return refresh_company(folder, prepare, before_run=("ingest", vendor), leave_out=leave_out)


def files_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted company refreshed from its contract files (shared by the vendor tests)."""
    folder = build_once(tmp_path_factory, "stripe_files_twin", refresh_company)
    return folder / "nyckeltal.duckdb"


def assert_same_scorecard(files: Path, vendor: Path, codes: Collection[str]) -> None:
    """The scorecards of the two warehouses are equal, row for row, and have `codes`."""
    from_files, from_vendor = _scorecard(files), _scorecard(vendor)
    for code in codes:
        assert code in from_files, code
    assert from_vendor.keys() == from_files.keys()
    for code in sorted(from_files):
        assert from_vendor[code] == from_files[code], code


def map_and_validate(
    folder: Path,
    prepare: Callable[[pytest.MonkeyPatch], None],
    leave_out: Collection[str] = BILLING_FROM_STRIPE,
    tables: Sequence[str] = ("billing.subscriptions",),
) -> Path:
    """The company's other files loaded into folder/nyckeltal.duckdb, the tables of
    `leave_out` mapped from the vendor source `prepare` sets up, and `tables` validated
    (the report in folder/validation.txt): the warehouse."""
    warehouse = folder / "nyckeltal.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        runs_write_under(patch, folder)
        prepare(patch)
        context = _load_and_map(folder, leave_out)
        outcome = pipeline.validate_sources(context, tables=list(tables))
    (folder / "validation.txt").write_text(outcome.summary())
    return warehouse


def _load_and_map(
    folder: Path,
    leave_out: Collection[str],
    after_load: Callable[[Path], None] | None = None,
) -> RunContext:
    """The company but `leave_out` loaded into folder/nyckeltal.duckdb, `after_load(warehouse)`
    (if any), then the configured vendor sources mapped (the first step of a refresh): the
    run's context."""
    company = company_files(folder / "company", leave_out)
    context = RunContext.build(warehouse=folder / "nyckeltal.duckdb")
    load_directory(company, context, progress=lambda _: None)
    if after_load is not None:
        after_load(context.warehouse)
    assert vendors.map_vendor_tables(context) == vendors.mapped_tables(context)
    return context


def files_loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted company loaded from its contract files, nothing refreshed (shared by the
    vendor tests, built once per test run): the warehouse to compare mapped twins with."""

    def build(folder: Path) -> None:
        with pytest.MonkeyPatch.context() as patch:
            runs_write_under(patch, folder)
            _load_and_map(folder, ())

    return build_once(tmp_path_factory, "company_files_loaded", build) / "nyckeltal.duckdb"


def mapped_twin(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    prepare: Callable[[pytest.MonkeyPatch, Path], None],
    leave_out: Collection[str],
    after_load: Callable[[Path], None] | None = None,
) -> Path:
    """The planted company without the files of `leave_out`, loaded and mapped from the vendor
    source that `prepare(patch, folder)` sets up (settings on `patch`; its landed tables
    written under `folder`), no refresh: the warehouse. `after_load(warehouse)` runs between
    the load and the mapping (e.g. `nyckeltal ingest` into the warehouse's own schema). Built
    once per test run as `name`."""

    def build(folder: Path) -> None:
        with pytest.MonkeyPatch.context() as patch:
            runs_write_under(patch, folder)
            prepare(patch, folder)
            _load_and_map(folder, leave_out, after_load)

    return build_once(tmp_path_factory, name, build) / "nyckeltal.duckdb"


def raw_contract_rows(
    warehouse: Path, key: str, ids: Mapping[str, Mapping[str, str]] | None = None
) -> list[tuple]:
    """The rows of the contract table `key` (<system>.<table>), its contract columns only
    (not the loader's `_loaded_at`), sorted; `ids`: {column: {id: id to read instead}}, for
    the keys a vendor names its own way."""
    table = contract.table(key)
    names = [column.name for column in table.columns]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(f"select {', '.join(names)} from {table.schema}.{table.name}")
        rows = rows.fetchall()
    renames = [
        (names.index(name), renamed) for name, renamed in (ids or {}).items() if name in names
    ]
    renamed_rows = []
    for row in rows:
        values = list(row)
        for position, renamed in renames:
            values[position] = renamed.get(values[position], values[position])
        renamed_rows.append(tuple(values))
    return sorted(renamed_rows, key=without_floats)


def assert_maps_like_files(
    files: Path, vendor: Path, ids: Mapping[str, Mapping[str, str]] | None = None
) -> None:
    """The two warehouses hold the same raw contract relations: the same tables recorded as
    loaded with the same row counts, and every loaded table's rows equal, value for value,
    but for the ids the vendor names its own way: `ids` = {column: {vendor id: files id}},
    applied to that column in every table (e.g. {"lead_id": {"201": "L1"}}: HubSpot's contact
    ids). The models, KPIs and checks then compute the same from both (every KPI equal: a
    key's value is never part of one, only which rows share it)."""
    loaded = loaded_row_counts(files)
    assert loaded_row_counts(vendor) == loaded
    for key in sorted(loaded):
        mapped = raw_contract_rows(vendor, key, ids)
        assert_same_rows(mapped, raw_contract_rows(files, key), key)


def rows_by_key(warehouse: Path, sql: str) -> dict:
    """The rows of `sql` by their first column."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {row[0]: row[1:] for row in connection.execute(sql).fetchall()}


def loaded_row_counts(warehouse: Path) -> dict[str, int]:
    """The load manifest's row count of every table recorded as loaded."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return dict(
            connection.execute(
                "select table_key, row_count from raw_nyckeltal.tables_loaded where is_loaded"
            ).fetchall()
        )


def write_tables(
    landing: Path, schema: str, columns: Mapping[str, str], rows: Mapping[str, list[tuple]]
) -> Path:
    """Create each table of `columns` (name -> column definitions) in `schema` of the DuckDB
    file `landing` with its `rows`; return `landing`."""
    with duckdb.connect(str(landing)) as connection:
        connection.execute(f"create schema if not exists {schema}")
        for table, definition in columns.items():
            connection.execute(f"create or replace table {schema}.{table} ({definition})")
            if rows[table]:
                marks = ", ".join("?" * len(rows[table][0]))
                connection.executemany(
                    f"insert into {schema}.{table} values ({marks})", rows[table]
                )
    return landing


def assert_setting_refused(patch: pytest.MonkeyPatch, name: str, value: str, expected: str) -> None:
    """NYCKELTAL_<name>=value is refused by the settings in one line naming the variable and
    saying `expected`."""
    from nyckeltal import settings

    patch.setenv(f"NYCKELTAL_{name}", value)
    with pytest.raises(settings.SettingsError) as raised:
        settings.current()
    message = str(raised.value)
    assert "\n" not in message
    assert f"NYCKELTAL_{name}" in message and expected in message, message


def stripe_and_hubspot_twin(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    writers: Sequence[Callable[[Path, Path], object]],
    prepare: Callable[[pytest.MonkeyPatch, Path], None],
) -> Path:
    """The company refreshed once per test run (as `name`) with its billing from Stripe and
    its CRM from HubSpot, both landed in one file by the `writers` (each called with the
    company's folder and the landing file), with the settings `prepare(patch, landing file)`
    sets: the warehouse."""

    def build(folder: Path) -> None:
        landing, company = folder / "landing.duckdb", company_files(folder / "landed")
        for write in writers:
            write(company, landing)
        leave_out = (*BILLING_FROM_STRIPE, *CRM_FROM_HUBSPOT)
        refresh_company(folder, lambda patch: prepare(patch, landing), leave_out=leave_out)

    return build_once(tmp_path_factory, name, build) / "nyckeltal.duckdb"


def mapping_error(warehouse: Path) -> str:
    """The message of the VendorSourceError that mapping the configured vendor sources into
    `warehouse` raises (one line)."""
    with pytest.raises(vendors.VendorSourceError) as raised:
        vendors.map_vendor_tables(RunContext.build(warehouse=warehouse))
    message = str(raised.value)
    assert "\n" not in message
    return message


def hubspot_env(patch: pytest.MonkeyPatch, layout: str, landing: Path, properties: str) -> None:
    """NYCKELTAL_CRM_SOURCE=`layout` from the DuckDB file `landing`, with
    NYCKELTAL_HUBSPOT_PROPERTIES=`properties`."""
    patch.setenv("NYCKELTAL_CRM_SOURCE", layout)
    patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))
    patch.setenv("NYCKELTAL_HUBSPOT_PROPERTIES", properties)


def landed_rows(landing: Path, sql: str) -> list[tuple]:
    """The rows of `sql` run on the DuckDB file `landing`, opened read-only."""
    with duckdb.connect(str(landing), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def landed_table_columns(landing: Path, schema: str, table: str) -> set[str]:
    """The column names of the landed table `schema.<table>` of the DuckDB file `landing`."""
    sql = (
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}'"
    )
    return {row[0] for row in landed_rows(landing, sql)}


def landed_counts(landing: Path, schema: str, tables: Sequence[str]) -> dict[str, int]:
    """The row count of each landed table `schema.<table>` of the DuckDB file `landing`."""
    return {t: landed_rows(landing, f"select count(*) from {schema}.{t}")[0][0] for t in tables}


def ingest_error(vendor: str, warehouse: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What `nyckeltal ingest <vendor>` writes when it fails (exit code 1): one line."""
    code = main(["ingest", vendor, "--warehouse", str(warehouse)])
    error = capsys.readouterr().err.strip()
    assert code == 1 and error and "\n" not in error, (code, error)
    return error


def ingest_twice(
    serve: Callable[[Any], contextlib.AbstractContextManager],
    api: Any,
    landing: Path,
    first: Callable[[], object],
    change: Callable[[], object],
    second: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Two ingests into the landing file `landing` while `serve(api)` serves the stand-in API,
    `change` applied to its objects between them (`second` ingests the second time, else
    `first` again): the landing, each ingest's result and the API's requests, and the API."""
    with serve(api):
        results = [first()]
        first_requests = list(api.requests)
        api.requests.clear()
        change()
        results.append((second or first)())
    return {
        "landing": landing,
        "first": results[0],
        "second": results[1],
        "first_requests": first_requests,
        "second_requests": list(api.requests),
        "api": api,
    }


def landing_copy(landing: Path, folder: Path) -> Path:
    """A private copy in `folder` of the landing file `landing` and dlt's state beside it."""
    shutil.copytree(landing.parent / ".dlt_pipelines", folder / ".dlt_pipelines")
    return Path(shutil.copyfile(landing, folder / landing.name))


def assert_a_failed_ingest_lands_nothing(
    counts: Callable[[], dict[str, int]], ingest_once: Callable[[], object], table: str
) -> None:
    """`ingest_once()` fails (the API answers 500 to every attempt) and the landed tables keep
    their `counts()`: the new row of `table` was read, never loaded; called again, it lands."""
    from nyckeltal.ingest import IngestError

    before = counts()
    with pytest.raises(IngestError, match="answered 500 .* after retries"):
        ingest_once()
    assert counts() == before
    ingest_once()
    assert counts()[table] == before[table] + 1
