"""LiveCodeBench: the loader and selection live in :mod:`eval.dataset` (releases, date windows,
errata); this module names them as a benchmark of the registry."""

from __future__ import annotations

from eval.dataset import (  # noqa: F401 - re-exported
    DATE_PRESETS,
    RELEASE_FILES,
    DateWindow,
    load_errata,
    load_files,
    resolve_files,
    select_problems,
)
