"""Which process of a distributed launch this is (accelerate / torchrun set these variables)."""

from __future__ import annotations

import os


def process_rank() -> int:
    """The global rank of this process (0 when not launched distributed)."""
    for var in ("RANK", "ACCELERATE_PROCESS_INDEX", "LOCAL_RANK"):
        value = os.environ.get(var)
        if value not in (None, ""):
            try:
                return int(value)
            except ValueError:
                continue
    return 0


def is_main_process() -> bool:
    """True on the process that writes reports, model cards and logs."""
    return process_rank() == 0
