"""The `nyckeltal` command line: load data, run the daily build, read the scorecard.

Exit codes: 0 success, 1 the work failed (bad data, a failing build), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nyckeltal.cli_parser import Parser, choice_type, parse
from nyckeltal.locking import add_wait_option, hold, print_waiting
from nyckeltal.vendor_layouts import INGEST_VENDORS

if TYPE_CHECKING:
    from nyckeltal.context import RunContext


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def version() -> str:
    """The installed version: pyproject.toml's `version`, the only place it is written."""
    try:
        return metadata.version("nyckeltal")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def _scale(text: str) -> str:
    """`--scale`: a named scale of the generator or a positive number (a factor on the demo)."""
    from nyckeltal.demo.scales import SCALES, resolve

    def number(value: str) -> str:
        resolve(value)  # ValueError unless a positive number
        return value

    return choice_type(tuple(SCALES), number, "a positive number")(text)


def _kpi_code(text: str) -> str:
    """`--kpi`: a kpi_code of the catalogue (seeds/kpi_catalogue.csv)."""
    from nyckeltal import settings
    from nyckeltal.catalogue import kpi_codes

    return choice_type(kpi_codes(settings.current().project_dir))(text)


def _context(args: argparse.Namespace, **run: object) -> RunContext:
    """The command's run context: the settings, with the command's own paths (`--warehouse`,
    `--published`, `--out`) and `run` (as_of, window) taking precedence."""
    from nyckeltal.context import RunContext

    return RunContext.build(
        warehouse=getattr(args, "warehouse", None),
        published=getattr(args, "published", None),
        report_dir=getattr(args, "out", None) if args.command == "report" else None,
        **run,  # type: ignore[arg-type]
    )


def _require_extras(context: RunContext) -> None:
    """The optional extras the settings need (the postgres and spark targets, publishing to
    PostgreSQL), before any work: one line naming what to install."""
    from nyckeltal.extras import require_for

    require_for(context.engine.extra, context.settings.publish_postgres_url is not None)


def writes_warehouse(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """Run a command (`args` -> exit code) holding its warehouse's writer lock
    (nyckeltal.locking)."""

    @functools.wraps(command)
    def locked(args: argparse.Namespace) -> int:
        context = _context(args)
        wait = args.wait if args.wait is not None else context.settings.lock_wait_seconds
        with hold(context.warehouse, args.command, wait, on_wait=print_waiting):
            return command(args)

    return locked


def _add_warehouse_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        metavar="PATH",
        help="DuckDB warehouse file (default: $NYCKELTAL_WAREHOUSE or "
        "warehouse/nyckeltal.duckdb in the project)",
    )


def _writer_command(commands: Any, name: str, **parser_options: Any) -> argparse.ArgumentParser:
    """A command that writes the warehouse: its `--warehouse` and `--wait` options come first."""
    command = commands.add_parser(name, **parser_options)
    _add_warehouse_option(command)
    add_wait_option(command)
    return command


def _published_reader_command(
    commands: Any, name: str, **parser_options: Any
) -> argparse.ArgumentParser:
    """A command that reads the published marts file: its `--published` and `--warehouse`
    options come first."""
    command = commands.add_parser(name, **parser_options)
    command.add_argument(
        "--published",
        metavar="PATH",
        help="published marts file (default: $NYCKELTAL_PUBLISHED or "
        "nyckeltal_published.duckdb beside the warehouse)",
    )
    _add_warehouse_option(command)
    return command


def build_parser() -> Parser:
    parser = Parser(
        prog="nyckeltal",
        description="KPI marts for small and mid-size companies, built with dbt on DuckDB.",
    )
    parser.add_argument("--version", action="version", version=f"nyckeltal {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _writer_command(
        commands,
        "demo",
        help="load the bundled demo dataset into the raw schemas",
        description="Validate and load the bundled demo dataset (seeds/demo) into the raw "
        "schemas, replacing what is there.",
    )

    load = _writer_command(
        commands,
        "load",
        help="validate and load a folder of <system>__<table>.csv|.parquet files",
        description="Validate every file of DIR against the raw data contract, then replace "
        "the raw tables in one transaction: all or nothing.",
    )
    load.add_argument("directory", type=Path, metavar="DIR")

    ingest = _writer_command(
        commands,
        "ingest",
        help="pull a vendor's API into the landing schema with dlt (incremental)",
        description="Pull what changed since the last ingest from the vendor's public API "
        "into its landing schema (NYCKELTAL_<VENDOR>_SCHEMA of the warehouse, or of "
        "NYCKELTAL_LANDING_DATABASE), in dlt's layout; then `nyckeltal run` with "
        "the system's `<vendor>:dlt` source (NYCKELTAL_BILLING_SOURCE=stripe:dlt, ...) maps it. "
        "docs/sources.md.",
    )
    ingest.add_argument(
        "vendor",
        type=choice_type(INGEST_VENDORS),
        metavar="VENDOR",
        help=", ".join(INGEST_VENDORS),
    )

    generate = commands.add_parser(
        "generate",
        help="write a synthetic dataset (the demo generator, scalable)",
        description="Write a deterministic synthetic dataset in the loader's file format.",
    )
    generate.add_argument("--out", type=Path, required=True, metavar="DIR")
    generate.add_argument(
        "--scale",
        default="demo",
        type=_scale,
        help="tiny (a 40-customer company), demo (the bundled demo, default), "
        "s (~1M web events), m (~10M), "
        "l (~1M customers, ~100M web events, 36 months), or a number (a factor on the demo)",
    )
    generate.add_argument("--seed", type=int, default=None, help="random seed")

    run = _writer_command(
        commands,
        "run",
        help="validate sources, build the marts, validate them, publish them",
        description="Run the daily refresh on the warehouse, in process: the same Dagster job "
        "the schedule runs (Great Expectations source checks, dbt build, mart checks, then an "
        "atomic replace of the published marts file that BI tools read, then KPI alerts). An "
        "error-severity failure stops the run (exit 1) and publishes nothing.",
    )
    run.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="compute KPIs as of this date (default: latest event in the data)",
    )
    run.add_argument(
        "--from",
        dest="start",
        type=_date,
        metavar="DATE",
        help="backfill: refresh only the daily partitions of the large facts from this day",
    )
    run.add_argument(
        "--to",
        dest="end",
        type=_date,
        metavar="DATE",
        help="backfill: last day of the range (inclusive, with --from)",
    )
    run.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show Dagster's and dbt's own log lines (default: one line per stage)",
    )

    validate = _writer_command(
        commands,
        "validate",
        help="run the data quality checkpoints (Great Expectations) alone",
        description="Run the Great Expectations checkpoints on the warehouse without building "
        "or publishing: `sources` (the raw tables) and `marts` (what the last build made). "
        "Exit 1 when an error-severity expectation fails. Data Docs are rebuilt.",
    )
    validate.add_argument(
        "--checkpoint",
        choices=("all", "sources", "marts"),
        default="all",
        help="which checkpoint to run (default: all)",
    )
    validate.add_argument(
        "--table",
        action="append",
        metavar="SYSTEM.TABLE",
        dest="tables",
        help="only the source suites of this raw table (repeatable), e.g. billing.invoices",
    )

    scorecard = _published_reader_command(
        commands,
        "scorecard",
        help="print the kpi_scorecard mart (from the published marts file)",
        description="Print rows of the published kpi_scorecard mart.",
    )
    scorecard.add_argument(
        "--kpi", metavar="CODE", type=_kpi_code, help="only this kpi_code (of the catalogue)"
    )
    scorecard.add_argument("--format", choices=("table", "csv", "json"), default="table")
    scorecard.add_argument(
        "--summary",
        action="store_true",
        help="one line per KPI: latest complete total/all value and status",
    )

    report = _published_reader_command(
        commands,
        "report",
        help="write the KPI report (static HTML pages) from the published marts file",
        description="Write the KPI report: an overview page with one card per KPI (latest "
        "complete value, target, status, change, 12-period trend) and a page per KPI family "
        "(segment breakdown, formula, what to do when off track). Static files that open "
        "offline in a browser.",
    )
    report.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: $NYCKELTAL_REPORT_DIR or report/ beside the warehouse)",
    )

    bench = commands.add_parser(
        "bench",
        help="benchmark load, validation, full and one-new-day refresh (benchmarks/README.md)",
        description="Generate the dataset of each scale, then measure side by side, each stage "
        "in its own process (median of repeats, peak RSS): load, source validation of the "
        "largest table, full refresh, one-new-day refresh, the same SQL on raw DuckDB and the "
        "pandas peer; write a Markdown report and a JSON file next to it, with the targets. "
        "Works in a temporary folder: the warehouse of the project is not touched.",
    )
    from nyckeltal.benchmark import add_arguments

    add_arguments(bench)

    accuracy = commands.add_parser(
        "forecast-accuracy",
        help="backtest accuracy and cost of the KPI forecasts of a refreshed warehouse",
        description="Re-run the KPI forecasts on the warehouse's scorecard (timed) and write "
        "their backtest accuracy (share beating Naive, median MASE, interval coverage) under "
        "LABEL into benchmarks/forecast-accuracy.md and .json (docs/insights.md).",
    )
    accuracy.add_argument("--label", default="demo", help="the row's name, e.g. the scale")
    accuracy.add_argument(
        "--out", metavar="FILE", default="benchmarks/forecast-accuracy.md", help="Markdown file"
    )
    _add_warehouse_option(accuracy)
    for command in commands.choices.values():
        command.set_defaults(parser=command)  # leftover arguments are reported by their command
    return parser


@writes_warehouse
def _cmd_demo(args: argparse.Namespace) -> int:
    context = _context(args)
    _require_extras(context)
    from nyckeltal.loader import load_directory

    report = load_directory(context.project_dir / "seeds" / "demo", context)
    print(report.summary())
    return 0


@writes_warehouse
def _cmd_load(args: argparse.Namespace) -> int:
    context = _context(args)
    _require_extras(context)
    from nyckeltal.loader import load_directory

    report = load_directory(args.directory, context)
    print(report.summary())
    return 0


@writes_warehouse
def _cmd_ingest(args: argparse.Namespace) -> int:
    from nyckeltal.ingest import run

    print(run(args.vendor, _context(args)).summary())
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from nyckeltal.demo import generate

    written = generate(args.out, scale=args.scale, seed=args.seed)
    for path in written:
        print(f"wrote {path}")
    return 0


@writes_warehouse
def _cmd_run(args: argparse.Namespace) -> int:
    from nyckeltal.launch import launch_refresh
    from nyckeltal.pipeline import require_warehouse

    window = (args.start, args.end) if args.start or args.end else None
    context = _context(args, as_of=args.as_of, window=window)  # validates both
    _require_extras(context)
    require_warehouse(context)
    succeeded = launch_refresh(context, verbose=args.verbose)
    return 0 if succeeded else 1


@writes_warehouse
def _cmd_validate(args: argparse.Namespace) -> int:
    context = _context(args)
    _require_extras(context)
    from nyckeltal.contract import TABLES_BY_KEY
    from nyckeltal.errors import NyckeltalError
    from nyckeltal.pipeline import validate_marts, validate_sources

    unknown = sorted(set(args.tables or ()) - set(TABLES_BY_KEY))
    if unknown:
        raise NyckeltalError(
            f"unknown table {', '.join(unknown)}; the contract has: {', '.join(TABLES_BY_KEY)}"
        )
    outcomes = []
    if args.checkpoint in ("all", "sources"):
        outcomes.append(validate_sources(context, tables=args.tables))
    if args.checkpoint in ("all", "marts") and not args.tables:
        outcomes.append(validate_marts(context))
    for outcome in outcomes:
        print(outcome.summary())
    return 0 if all(outcome.passed for outcome in outcomes) else 1


def _cmd_scorecard(args: argparse.Namespace) -> int:
    from nyckeltal.scorecard import print_scorecard

    published = _context(args).published
    print_scorecard(published, kpi=args.kpi, output_format=args.format, summary=args.summary)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from nyckeltal.report import build_report

    context = _context(args)
    result = build_report(
        context.published,
        context.report_dir,
        context.reporting_currency,
        context.dbt_target_path,
        context.project_dir,
    )
    print(result.summary())
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from nyckeltal.benchmark import bench

    return bench(args)


def _cmd_forecast_accuracy(args: argparse.Namespace) -> int:
    from nyckeltal.insights.accuracy import run

    result = run(_context(args).warehouse, args.label, Path(args.out))
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


COMMANDS = {
    "demo": _cmd_demo,
    "load": _cmd_load,
    "ingest": _cmd_ingest,
    "generate": _cmd_generate,
    "run": _cmd_run,
    "validate": _cmd_validate,
    "scorecard": _cmd_scorecard,
    "report": _cmd_report,
    "bench": _cmd_bench,
    "forecast-accuracy": _cmd_forecast_accuracy,
}


def _explain(args: argparse.Namespace, error: Exception) -> str | None:
    """One line for a full disk or a damaged DuckDB file (nyckeltal.failures), else None."""
    from nyckeltal import failures
    from nyckeltal.errors import NyckeltalError

    try:
        context = _context(args)
    except NyckeltalError:
        return None
    warehouse, published = context.warehouse, context.published
    where = {"scorecard": published, "report": published, "generate": getattr(args, "out", None)}
    return failures.explain(
        error, where.get(args.command, warehouse), {published: failures.REPUBLISH}
    )


def main(argv: Sequence[str] | None = None) -> int:
    from nyckeltal.errors import NyckeltalError

    args = parse(build_parser(), argv)
    try:
        return COMMANDS[args.command](args)
    except NyckeltalError as error:
        message: str | None = str(error)
    except Exception as error:  # a full disk or a damaged file: one line, unless --verbose
        message = None if getattr(args, "verbose", False) else _explain(args, error)
        if message is None:
            raise
    print(f"nyckeltal {args.command}: error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
