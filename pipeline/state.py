"""``output_dir/pipeline_state.json``: which stages finished, with what settings, when and what
they reported. A rerun skips a stage whose fingerprint (its settings plus the exact run of every
stage before it) is unchanged, and resumes one that was started with the same fingerprint."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from xcoder.io import atomic_write_json

STATE_FILE = "pipeline_state.json"


class State:
    """``pipeline_state.json``: finished stages with fingerprints, timings and outputs."""

    def __init__(self, out: Path):
        self.path = out / STATE_FILE
        self.data: dict[str, Any] = {"stages": {}}
        if self.path.exists():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))

    def done(self, stage: str, fingerprint: str) -> bool:
        entry = self.data["stages"].get(stage)
        return bool(entry and entry.get("fingerprint") == fingerprint and entry.get("finished"))

    def get(self, stage: str) -> dict[str, Any]:
        return self.data["stages"].get(stage, {})

    def resuming(self, stage: str, fingerprint: str) -> bool:
        """Whether ``stage`` was started with these settings and not finished (killed): its own
        caches are then kept and it continues; otherwise it starts fresh."""
        entry = self.data["stages"].get(stage)
        return bool(entry and entry.get("fingerprint") == fingerprint and not entry.get("finished"))

    def start(self, stage: str, fingerprint: str) -> None:
        self.data["stages"][stage] = {"fingerprint": fingerprint, "finished": False}
        atomic_write_json(self.path, self.data)

    def finish(self, stage: str, fingerprint: str, seconds: float, info: dict[str, Any]) -> None:
        self.data["stages"][stage] = {
            "fingerprint": fingerprint,
            "finished": True,
            "seconds": round(seconds, 2),
            "info": info,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        atomic_write_json(self.path, self.data)


__all__ = ["STATE_FILE", "State"]
