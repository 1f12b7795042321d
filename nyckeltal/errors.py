"""Errors the CLI reports as a clean message and exit code 1 (no traceback)."""


class NyckeltalError(Exception):
    """Base class of the failures a user can act on."""
