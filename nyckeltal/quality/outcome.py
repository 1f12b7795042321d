"""What a validation found, per suite and per expectation, and how it reads to a user."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from nyckeltal.contract import LOADED_AT_COLUMN
from nyckeltal.quality.severity import ERROR, WARN
from nyckeltal.terminal import printable

MAX_EXAMPLES = 5
SHOWN_EXAMPLES = 3


def format_value(value: Any) -> str:
    """A value as the summary shows it: strings quoted, null as `null`, ISO dates."""
    if value is None:
        return "null"
    if isinstance(value, float) and math.isnan(value):
        return "null"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
        return text[:10] if text.endswith(" 00:00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
            return "null"
        if isinstance(value, pd.Timestamp):
            return format_value(value.to_pydatetime())
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        return format_value(value.item())
    return str(value)


def format_row(row: Mapping[str, Any]) -> str:
    """An example row as `name=value, ...`: the data's columns, not the loader's stamp."""
    return ", ".join(
        f"{name}={format_value(value)}" for name, value in row.items() if name != LOADED_AT_COLUMN
    )


@dataclass(frozen=True)
class Failure:
    """One expectation that failed (over all batches of its suite)."""

    suite: str
    table: str | None
    expectation: str  # GX expectation type
    kwargs: Mapping[str, Any]
    severity: str  # error | warn
    failing_count: int | None  # rows (or values) that fail; None when not countable
    checked_count: int | None
    examples: tuple[Mapping[str, Any], ...] = ()
    reason: str = ""
    error: str | None = None  # the expectation or the fetch raised

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")

    def describe_kwargs(self) -> str:
        shown = []
        for name, value in self.kwargs.items():
            if name in ("column", "condition_parser", "row_condition", "result_format", "batch_id"):
                continue
            if isinstance(value, dict) and "$PARAMETER" in value:
                value = f"${value['$PARAMETER']}"
            elif isinstance(value, list) and len(value) > 6:
                value = "[" + ", ".join(map(str, value[:6])) + ", ...]"
            shown.append(f"{name}={value}")
        condition = self.kwargs.get("row_condition")
        if isinstance(condition, dict) and "column" in condition:
            column = condition["column"].get("name")
            shown.append(f"where {column} {condition['operator']} {condition['parameter']}")
        elif isinstance(condition, dict):
            shown.append(f"where {condition.get('pass_through_filter')}")
        elif condition:
            shown.append(f"where {condition}")
        return ", ".join(shown)

    def headline(self) -> str:
        where = f"{self.suite}" + (f", column {self.column}" if self.column else "")
        check = f"{self.expectation}({self.describe_kwargs()})"
        if self.error:
            what = f"could not be checked: {printable(self.error)}"
        elif self.failing_count is not None:
            of = f" of {self.checked_count:,}" if self.checked_count is not None else ""
            what = f"{self.failing_count:,}{of} failing"
        else:
            what = "failed"
        return f"{self.severity.upper()} {where}: {check}: {what}"

    def render(self, examples: int = SHOWN_EXAMPLES) -> str:
        lines = [self.headline()]
        if self.reason:
            lines.append(f"    why: {self.reason}")
        for example in self.examples[:examples]:
            lines.append(f"    e.g. {format_row(example)}")
        return "\n".join(lines)


@dataclass
class SuiteResult:
    """One suite over all its batches."""

    suite: str
    table: str | None
    kind: str
    batches: int = 0
    rows: int = 0
    seconds: float = 0.0
    expectations: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No error-severity failure (warnings allowed)."""
        return not any(failure.severity == ERROR for failure in self.failures)

    @property
    def status(self) -> str:
        if not self.passed:
            return "FAILED"
        return "warn" if self.failures else "ok"

    def progress_line(self) -> str:
        plural = "batch" if self.batches == 1 else "batches"
        return (
            f"  {self.suite:<48} {self.batches:>3} {plural:<7} {self.rows:>10,} rows "
            f"{self.seconds:6.1f} s  {self.status}"
        )


@dataclass
class ValidationOutcome:
    """The result of a checkpoint: per suite, with the failures and the Data Docs page."""

    checkpoint: str
    suites: list[SuiteResult]
    data_docs_path: Path | None
    run_id: str
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """No error-severity failure: publishing may go on."""
        return all(suite.passed for suite in self.suites)

    @property
    def failures(self) -> list[Failure]:
        return [failure for suite in self.suites for failure in suite.failures]

    @property
    def errors(self) -> list[Failure]:
        return [failure for failure in self.failures if failure.severity == ERROR]

    @property
    def warnings(self) -> list[Failure]:
        return [failure for failure in self.failures if failure.severity == WARN]

    def by_table(self) -> dict[str, list[SuiteResult]]:
        """Suite results grouped by raw table key or mart relation (`None` -> the checkpoint)."""
        grouped: dict[str, list[SuiteResult]] = {}
        for suite in self.suites:
            grouped.setdefault(suite.table or self.checkpoint, []).append(suite)
        return grouped

    def summary(self, max_failures: int = 20) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        state = "passed" if self.passed else "FAILED"
        counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        lines = [
            f"Data quality [{self.checkpoint}] {state}: {len(self.suites)} suites, {counts} "
            f"({self.seconds:.1f} s)"
        ]
        ordered = self.errors + self.warnings
        lines += [failure.render() for failure in ordered[:max_failures]]
        if len(ordered) > max_failures:
            lines.append(f"... and {len(ordered) - max_failures} more (see Data Docs)")
        if self.data_docs_path:
            lines.append(f"Data Docs: {self.data_docs_path}")
        return "\n".join(lines)
