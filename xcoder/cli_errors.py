"""How every ``xcoder`` command reports a user error: one line on stderr naming the file, row, key or
flag, exit code 2, no traceback. Commands raise :class:`UserError` (or a :class:`ConfigError`) and
wrap their body in :func:`user_errors`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from xcoder.config import ConfigError

USER_ERROR_EXIT = 2


class UserError(Exception):
    """A mistake in what the user asked for (a path, a flag, a row); the message says which."""


def fail(message: str, code: int = USER_ERROR_EXIT) -> typer.Exit:
    """Print ``error: message`` on stderr and return the ``typer.Exit`` to raise."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True).print(Text.assemble(("error: ", "bold red"), message), highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn :class:`UserError` and :class:`ConfigError` raised inside into :func:`fail` (exit 2)."""
    try:
        yield
    except (UserError, ConfigError) as err:
        raise fail(str(err)) from None


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


__all__ = ["USER_ERROR_EXIT", "UserError", "fail", "user_errors", "warn"]
