"""Stopping long work when told, the same way in every command (judge, eval, gen, pipeline).

The first Ctrl-C or SIGTERM only *asks* to stop: long loops see :func:`requested` (or call
:func:`check`), start nothing new, kill the programs they run, write and cache what finished, and
raise :class:`Cancelled` saying what was kept. :func:`cancellable` (wrapped around a command's
body) turns that into one message with the way to resume and exit code 130 (SIGINT) or 143
(SIGTERM). A second Ctrl-C (or SIGTERM) exits at once, for when stopping cleanly takes too long.

Library callers that never enter :func:`cancellable` are unaffected: no handler, never requested.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
POLL_SECONDS = 0.2

_event = threading.Event()
_signum: int | None = None


class Cancelled(Exception):
    """Raised by a loop that stopped because a stop was requested; ``kept`` says what was saved."""

    def __init__(self, kept: str = ""):
        super().__init__(kept or "stopped")
        self.kept = kept


def requested() -> bool:
    """Whether a stop was requested (a first Ctrl-C or SIGTERM inside :func:`cancellable`)."""
    return _event.is_set()


def check(kept: str = "") -> None:
    """Raise :class:`Cancelled` if a stop was requested."""
    if _event.is_set():
        raise Cancelled(kept)


def wait(seconds: float) -> bool:
    """Sleep up to ``seconds``, waking early (and returning True) when a stop is requested."""
    return _event.wait(seconds)


def request(signum: int = signal.SIGINT) -> None:
    """Ask every loop to stop, as a first signal does (for tests and for callers with own triggers)."""
    global _signum
    _signum = _signum or signum
    _event.set()


def exit_code() -> int:
    return EXIT_CODES.get(_signum or signal.SIGINT, 130)


def signal_label() -> str:
    return "SIGTERM" if _signum == signal.SIGTERM else "Ctrl-C"


def _handler(signum: int, frame: Any) -> None:
    if _event.is_set():  # the second signal: the user wants out now
        sys.stderr.write("\nstopping at once (second signal); work in flight is lost\n")
        sys.stderr.flush()
        os._exit(EXIT_CODES.get(signum, 130))
    request(signum)
    name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    sys.stderr.write(f"\n{name}: stopping — saving finished work (Ctrl-C again to exit at once)\n")
    sys.stderr.flush()


@contextmanager
def cancellable(resume: str = "rerun the same command to resume") -> Iterator[None]:
    """Install the SIGINT/SIGTERM handlers for a command's body; a :class:`Cancelled` (or a
    ``KeyboardInterrupt``) raised inside becomes one message and exit 130/143."""
    import typer

    global _signum
    main = threading.current_thread() is threading.main_thread()
    previous = {}
    if main:
        for sig in EXIT_CODES:
            previous[sig] = signal.signal(sig, _handler)
    try:
        yield
    except (Cancelled, KeyboardInterrupt) as err:
        if not _event.is_set():
            request(signal.SIGINT)
        kept = err.kept if isinstance(err, Cancelled) else ""
        message = f"stopped by {signal_label()}" + (f": {kept}" if kept else "") + (f"; {resume}" if resume else "")
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        raise typer.Exit(exit_code()) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _event.clear()
        _signum = None


async def watch(awaitable: Awaitable[T], kept: Callable[[], str] | None = None) -> T:
    """Await ``awaitable`` as a task, cancelling it within :data:`POLL_SECONDS` of a stop request
    (then raising :class:`Cancelled` with ``kept()``), for asyncio work that may block for long."""
    task = asyncio.ensure_future(awaitable)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=POLL_SECONDS)
            if done:
                return task.result()
            if _event.is_set():
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - we are stopping anyway
                    pass
                raise Cancelled(kept() if kept else "")
    finally:
        if not task.done():
            task.cancel()


__all__ = ["Cancelled", "EXIT_CODES", "cancellable", "check", "exit_code", "request", "requested", "wait", "watch"]
