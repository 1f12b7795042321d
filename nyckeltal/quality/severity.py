"""Severities: `error` blocks publishing, `warn` is reported and the run goes on.

Every expectation carries its default severity in its `meta` (`{"severity": "error"}`), set by
the suite generators. A deployment can change it without editing the suites:

- `NYCKELTAL_DQ_WARN`: comma-separated selectors whose failures only warn;
- `NYCKELTAL_DQ_ERROR`: comma-separated selectors whose failures block publishing.

A selector is `suite`, `suite:expectation_type` or `suite:expectation_type:column`, each part
a shell pattern (`raw_marketing__*:expect_column_values_to_be_in_set`). `NYCKELTAL_DQ_ERROR` wins
when both match.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

ERROR = "error"
WARN = "warn"
SEVERITIES = (ERROR, WARN)
# GX's own severity field, shown in Data Docs, for each of ours.
GX_SEVERITY = {ERROR: "critical", WARN: "warning"}


def _selectors(text: str) -> list[tuple[str, ...]]:
    return [tuple(part.strip().split(":")) for part in text.split(",") if part.strip()]


def _matches(selector: tuple[str, ...], parts: tuple[str, str, str]) -> bool:
    if len(selector) > 3:
        return False
    return all(fnmatchcase(part, pattern) for pattern, part in zip(selector, parts, strict=False))


@dataclass(frozen=True)
class SeverityOverrides:
    """NYCKELTAL_DQ_ERROR and NYCKELTAL_DQ_WARN: `suite[:expectation_type[:column]]`
    patterns, comma-separated, whose failures block, or only warn."""

    error: str = ""
    warn: str = ""

    def severity(
        self, default: str, suite: str, expectation_type: str, column: str | None = None
    ) -> str:
        """The severity of a failure: the expectation's default unless an override selects it."""
        parts = (suite, expectation_type, column or "")
        if any(_matches(selector, parts) for selector in _selectors(self.error)):
            return ERROR
        if any(_matches(selector, parts) for selector in _selectors(self.warn)):
            return WARN
        return default if default in SEVERITIES else ERROR
