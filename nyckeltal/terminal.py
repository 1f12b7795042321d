"""Text from data, made safe to print on a terminal.

A value read from a file (a segment name, a customer id, a header) may hold control
characters: an ANSI escape sequence would recolour, move the cursor or retitle the terminal
of whoever reads the output. Everything the command line prints from data goes through
`printable`, which shows each C0 and C1 control character (ESC, carriage return, line feed,
DEL, U+0080-U+009F...) as a visible escape (`\\x1b`, `\\n`). Files written for programs
(JSON, CSV, Parquet) keep values untouched.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    return _NAMED.get(character) or f"\\x{ord(character):02x}"


def printable(text: object) -> str:
    """`text` as a string with every control character escaped (`\\x1b`, `\\n`, `\\x9b`)."""
    return _CONTROL.sub(_escape, str(text))
