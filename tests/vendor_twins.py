"""The planted company of the vendor-source tests, and its twins.

The company is tests/fixtures/minimal's CRM, HR and marketing with the billing of
tests/fixtures/stripe_company. Each vendor test writes part of it as a vendor's landed
tables, leaves those contract files out, and compares what the mapping makes of them with
the company given as contract files only (the files twin, refreshed once per test run).
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
from run_folders import runs_write_under
from shared_warehouses import build_once
from test_optional_tables import _scorecard

from nyckeltal import pipeline, vendors
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
    company = company_files(folder / "company", leave_out)
    with pytest.MonkeyPatch.context() as patch:
        runs_write_under(patch, folder)
        prepare(patch)
        context = RunContext.build(warehouse=warehouse)
        load_directory(company, context, progress=lambda _: None)
        assert vendors.map_vendor_tables(context) == vendors.mapped_tables(context)
        outcome = pipeline.validate_sources(context, tables=list(tables))
    (folder / "validation.txt").write_text(outcome.summary())
    return warehouse


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
