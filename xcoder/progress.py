"""One progress-bar style for every long job (rich, on stderr, so stdout stays clean for data)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def make_progress(counters: str | None = None, console: Console | None = None, transient: bool = False) -> Progress:
    """A rich ``Progress`` in the project's style. ``counters`` is an extra column template over task
    fields, e.g. ``"kept {task.fields[kept]} · dropped {task.fields[dropped]}"``."""
    columns: list[Any] = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    if counters:
        columns.append(TextColumn(counters))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*columns, console=console or Console(stderr=True), transient=transient)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n=1)`` for a plain bar."""
    with make_progress() as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
