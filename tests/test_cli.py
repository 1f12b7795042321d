"""The command line a new user meets: mistakes answered with what was meant, tables that read
like tables, and signs of life on a long stage.

- a mistyped option names the option meant and shows the subcommand's usage (exit 2);
- a bad choice (`generate --scale xl`, `scorecard --kpi churn`) is one error line listing the
  valid values (the catalogue's kpi codes) with the closest suggested, never a traceback;
- `--version` prints the installed version;
- the scorecard table right-aligns numbers: rich's table on a terminal, plain aligned text in
  a pipe or a log;
- progress: plain lines when not a terminal, a live status line (stage, seconds, detail) on one.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
from importlib import metadata
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from nyckeltal import catalogue, progress
from nyckeltal.cli import main
from nyckeltal.scorecard import COLUMNS, SUMMARY_COLUMNS, print_table

ESCAPE = "\x1b"


def _usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command line expecting a usage error (exit 2); its standard error."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    return captured.err


def _error_line(err: str, command: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith(f"nyckeltal {command}: error:")]
    assert len(lines) == 1, err
    return lines[0]


# --------------------------------------------------------------------------- usage errors


def test_a_mistyped_option_names_the_option_meant_with_the_subcommand_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _usage_error(capsys, "run", "--form", "2026-11-01")
    assert err.startswith("usage: nyckeltal run ")
    assert "--from DATE" in err  # the subcommand's usage, not the top level's
    assert _error_line(err, "run") == (
        "nyckeltal run: error: unknown option --form; did you mean --from?"
    )


def test_an_unknown_option_with_nothing_close_is_named_without_a_guess(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _usage_error(capsys, "demo", "--zzz")
    assert _error_line(err, "demo") == "nyckeltal demo: error: unknown option --zzz"


def test_a_mistyped_command_is_suggested(capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage_error(capsys, "rnu")
    assert err.rstrip().endswith("did you mean run?")


def test_a_bad_scale_is_one_line_listing_the_valid_scales(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    err = _usage_error(capsys, "generate", "--out", str(out), "--scale", "xl")
    assert _error_line(err, "generate") == (
        "nyckeltal generate: error: argument --scale: invalid choice: 'xl' "
        "(choose from tiny, demo, s, m, l, or a positive number); did you mean l?"
    )
    assert not out.exists()


def test_a_scale_may_still_be_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    from nyckeltal.cli import build_parser

    args = build_parser().parse_args(["generate", "--out", "x", "--scale", "0.5"])
    assert args.scale == "0.5"
    err = _usage_error(capsys, "generate", "--out", "x", "--scale", "-1")
    assert "invalid choice: '-1'" in _error_line(err, "generate")


def test_an_unknown_kpi_lists_the_catalogue_codes_and_suggests_the_closest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    err = _usage_error(
        capsys, "scorecard", "--kpi", "churn", "--published", str(tmp_path / "none.duckdb")
    )
    line = _error_line(err, "scorecard")
    listed = re.search(r"\(choose from (.*)\)", line)
    assert listed is not None, line
    assert tuple(listed.group(1).split(", ")) == catalogue.kpi_codes()
    assert line.endswith("; did you mean churn_rate?")


def test_version_is_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"nyckeltal {metadata.version('nyckeltal')}\n"


# --------------------------------------------------------------------------- the scorecard


def _published(path: Path) -> Path:
    rows = [
        ("churn_rate", dt.date(2026, 10, 1), 3.0, 150.0, 2.0, "percent", 2.5, "on_track"),
        ("revenue_per_employee", dt.date(2026, 10, 1), 1234567.0, 10.0, 123456.7, "currency",
         None, "no_target"),
    ]  # fmt: skip
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.kpi_scorecard (kpi_code varchar, period_start date, "
            "period_end date, period_grain varchar, segment_type varchar, segment_value varchar, "
            "numerator double, denominator double, value double, unit varchar, "
            "target_value double, status varchar, previous_value double, "
            "previous_status varchar, is_complete_period boolean, is_suppressed boolean, "
            "currency_code varchar)"
        )
        for code, start, numerator, denominator, value, unit, target, status in rows:
            connection.execute(
                "insert into marts.kpi_scorecard values (?, ?, ?, 'month', 'total', 'all', ?, ?, "
                "?, ?, ?, ?, null, null, true, false, ?)",
                [
                    code,
                    start,
                    start,
                    numerator,
                    denominator,
                    value,
                    unit,
                    target,
                    status,
                    "EUR" if unit == "currency" else None,
                ],
            )
    return path


def _right_edges(line: str) -> list[int]:
    return [match.end() for match in re.finditer(r"\S+", line)]


def test_the_scorecard_summary_right_aligns_numbers_in_plain_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    published = _published(tmp_path / "published.duckdb")
    assert main(["scorecard", "--summary", "--published", str(published)]) == 0
    out = capsys.readouterr().out
    assert ESCAPE not in out
    header, *lines = out.splitlines()
    assert header.split() == list(SUMMARY_COLUMNS)
    assert [line.split()[:3] for line in lines] == [
        ["churn_rate", "2026-10-01", "2.00"],
        ["revenue_per_employee", "2026-10-01", "123,456.70"],
    ]
    value_end = header.index("value") + len("value")
    # money carries its currency code, and the cells still end under the header's end
    assert [line.index(value) + len(value) for line, value in zip(
        lines, ("2.00", "123,456.70 EUR"), strict=True)] == [value_end, value_end]  # fmt: skip
    assert lines[0].index("percent") == lines[1].index("currency") == header.index("unit")


def test_the_scorecard_table_on_a_terminal_is_rich_with_numbers_right_aligned() -> None:
    rows = [
        {column: None for column in COLUMNS}
        | {"kpi_code": "churn_rate", "value": 2.0, "numerator": 3.0, "status": "on_track"},
        {column: None for column in COLUMNS}
        | {"kpi_code": "revenue_per_employee", "value": 123456.7, "numerator": 1234567.0},
    ]
    buffer = io.StringIO()
    print_table(rows, ("kpi_code", "numerator", "value", "status"), Console(
        file=buffer, force_terminal=True, width=120))  # fmt: skip
    text = buffer.getvalue()
    assert ESCAPE in text  # rich's bold header
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()
    assert "─" in plain[1]  # the rule under the header
    header, first, second = plain[0], plain[2], plain[3]
    value_end = header.index("value") + len("value")
    assert first.index("2.00") + len("2.00") == value_end
    assert second.index("123,456.70") + len("123,456.70") == value_end


# --------------------------------------------------------------------------- progress


@pytest.fixture
def quiet_progress_logger(monkeypatch: pytest.MonkeyPatch) -> logging.Logger:
    """The progress logger without the handlers other tests installed."""
    monkeypatch.setattr(progress.logger, "handlers", [])
    monkeypatch.setattr(progress.logger, "propagate", progress.logger.propagate)
    monkeypatch.setattr(progress.logger, "level", progress.logger.level)
    return progress.logger


def test_progress_is_plain_lines_when_not_a_terminal(quiet_progress_logger: logging.Logger) -> None:
    buffer = io.StringIO()
    handler = progress.show_on_console(console=Console(file=buffer))
    assert not isinstance(handler, progress.LiveConsoleHandler)
    with progress.stage("publish") as current:
        current.detail = "warehouse/nyckeltal_published.duckdb"
    with pytest.raises(RuntimeError), progress.stage("dbt build"):
        raise RuntimeError("boom")
    lines = buffer.getvalue().splitlines()
    assert ESCAPE not in buffer.getvalue() and "\r" not in buffer.getvalue()
    assert re.fullmatch(
        r"publish {13}warehouse/nyckeltal_published\.duckdb  \(0\.\d s\)", lines[0]
    ), lines
    assert re.fullmatch(r"FAILED dbt build {11}\(0\.\d s\)", lines[1]), lines
    assert len(lines) == 2


def test_progress_on_a_terminal_shows_a_live_status_then_the_line(
    quiet_progress_logger: logging.Logger,
) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    handler = progress.show_on_console(console=console)
    assert isinstance(handler, progress.LiveConsoleHandler)
    with progress.stage("dbt build") as current:
        time.sleep(1.2)
        current.detail = "12 models and seeds so far"
        time.sleep(0.8)
        current.detail = "97 models and seeds"
    text = buffer.getvalue()
    frames = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", frame) for frame in text.split("\r")]
    live = [frame.strip() for frame in frames if "dbt build  " in frame and "(" not in frame]
    assert any(re.search(r"dbt build  1 s$", frame) for frame in live), live
    assert any(frame.endswith("s  12 models and seeds so far") for frame in live), live
    final = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).splitlines()[-1].strip("\r")
    assert re.fullmatch(r"dbt build {11}97 models and seeds  \(2\.\d s\)", final), final
    assert progress.show_on_console(console=console) is handler  # installed once


def test_verbose_runs_keep_plain_lines_on_a_terminal(
    quiet_progress_logger: logging.Logger,
) -> None:
    console = Console(file=io.StringIO(), force_terminal=True)
    handler = progress.show_on_console(live=False, console=console)
    assert not isinstance(handler, progress.LiveConsoleHandler)


# --------------------------------------------------------------------------- extras


@pytest.mark.parametrize(
    ("environment", "extra", "feature"),
    [
        ({"NYCKELTAL_TARGET": "spark"}, "spark", "NYCKELTAL_TARGET=spark"),
        ({"NYCKELTAL_TARGET": "postgres"}, "postgres", "NYCKELTAL_TARGET=postgres"),
        (
            {"NYCKELTAL_PUBLISH_POSTGRES_URL": "postgresql://u@db/kpis"},
            "postgres",
            "NYCKELTAL_PUBLISH_POSTGRES_URL",
        ),
    ],
)
def test_a_setting_whose_extra_is_not_installed_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    environment: dict[str, str],
    extra: str,
    feature: str,
) -> None:
    from nyckeltal import extras

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    installed = extras.find_spec
    monkeypatch.setattr(
        extras,
        "find_spec",
        lambda module: None if module in extras.MODULES[extra] else installed(module),
    )
    assert main(["run", "--warehouse", str(tmp_path / "w.duckdb")]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"nyckeltal run: error: {feature} needs the `{extra}` extra "
        f"({', '.join(extras.MODULES[extra])} not installed): "
        f'pip install -c requirements-dev.lock -e ".[{extra}]", or `make dev` for all extras\n'
    )


def test_the_core_needs_no_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from nyckeltal import extras
    from nyckeltal.engine import DuckDBEngine

    monkeypatch.setattr(extras, "find_spec", lambda module: None)
    extras.require_for(DuckDBEngine.extra, publish_to_postgres=False)  # raises nothing


def test_the_scorecard_shows_the_decimals_that_tell_a_value_from_its_target() -> None:
    from nyckeltal.scorecard import _format_cell

    row = {column: None for column in COLUMNS} | {"unit": "percent", "target_value": 2.0}
    assert _format_cell(row | {"value": 2.004}, "value") == "2.004"
    assert _format_cell(row | {"value": 2.0}, "value") == "2.00"
    assert _format_cell(row | {"value": 2.5}, "value") == "2.50"
    assert _format_cell(row | {"value": 2.0000001}, "value") == "2.000000"
    assert _format_cell(row | {"value": 2.004}, "target_value") == "2.00"
