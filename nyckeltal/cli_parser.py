"""The command line's argument parser: argparse, with errors that say what was meant.

- an unknown option names the closest option of its command and shows that command's usage:
  `nyckeltal run: error: unknown option --form; did you mean --from?`;
- an invalid choice lists the valid ones and suggests the closest, on one line;
- every usage error exits with code 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

USAGE_ERROR = 2
_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `word` (difflib), or None when none is near."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean X?` for the closest candidate, else an empty string."""
    match = closest(word, candidates)
    return f"; did you mean {match}?" if match else ""


def choice_type(
    valid: Sequence[str], convert: Callable[[str], Any] | None = None, also: str = ""
) -> Callable[[str], Any]:
    """An argparse `type` accepting one of `valid` (or what `convert` accepts, described by
    `also`), whose error lists the valid values and suggests the closest."""

    def parse(text: str) -> Any:
        if text in valid:
            return text
        if convert is not None:
            try:
                return convert(text)
            except ValueError:
                pass
        listed = ", ".join(valid) + (f", or {also}" if also else "")
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from {listed}){did_you_mean(text, valid)}"
        )

    return parse


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that remembers its option names, to suggest the one meant."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.option_names: list[str] = []  # before argparse adds -h/--help
        super().__init__(*args, **kwargs)

    def add_argument(self, *names: Any, **kwargs: Any) -> argparse.Action:
        self.option_names += [name for name in names if str(name).startswith("-")]
        return super().add_argument(*names, **kwargs)

    def error(self, message: str) -> NoReturn:
        invalid = _INVALID_CHOICE.search(message)
        if invalid and "did you mean" not in message:
            choices = re.findall(r"'([^']*)'", invalid.group(2))
            message += did_you_mean(invalid.group(1), choices)
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")

    def unknown_options(self, unknown: Sequence[str]) -> NoReturn:
        """Report arguments this (sub)command does not take, with the option meant."""
        first = unknown[0]
        if first.startswith("-"):
            option = first.split("=", 1)[0]
            self.error(f"unknown option {option}{did_you_mean(option, self.option_names)}")
        self.error(f"unexpected argument {first!r}")


def parse(parser: Parser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse `argv`; arguments left over are reported by the subcommand that got them
    (its `parser` default), so the user sees that command's usage."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        owner = getattr(args, "parser", None)
        (owner if isinstance(owner, Parser) else parser).unknown_options(unknown)
    return args
