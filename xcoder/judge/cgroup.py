"""A memory and process-count cgroup per judge worker.

Rlimits bound each program process: 4 GiB of address space, 64 processes. They do not bound a
sample as a whole. 64 processes of 4 GiB each, files in the sandbox's tmpfs, or System V shared
memory could still exhaust the machine and bring the OOM killer to the trainer. A cgroup holding
the worker and everything it starts bounds the sum. The kernel charges tmpfs and shared memory
pages to the cgroup of the process that touched them.

Best effort: cgroup v1 (``memory`` and ``pids`` hierarchies) and v2 (``memory.max``,
``pids.max``), below the cgroup this process is in. Where cgroups are not writable (many
containers, unprivileged users without delegation), workers run without one. Results record
``+cgroup`` in their isolation level when it applies.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from pathlib import Path

log = logging.getLogger("xcoder.judge")

ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


def _own_paths() -> dict[str, str]:
    """controller -> this process's cgroup path (v1 names; "" for the v2 unified hierarchy)."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _sweep(parent: Path) -> None:
    """Remove empty cgroups left by judge processes that exited without closing their workers."""
    for stale in parent.glob("xcoder-judge-*"):
        try:
            pid = int(stale.name.split("-")[2])
            os.kill(pid, 0)  # still running: its cgroups are its own business
        except ProcessLookupError:
            try:
                stale.rmdir()
            except OSError:
                pass
        except (ValueError, IndexError, PermissionError):
            pass


class WorkerCgroup:
    """Limits for one worker. ``procs_files`` are what a starting process writes its pid into."""

    def __init__(self, memory_bytes: int, max_pids: int):
        self.dirs: list[Path] = []
        name = f"xcoder-judge-{os.getpid()}-{next(_counter)}"
        own = _own_paths()
        try:
            if (ROOT / "memory").is_dir():
                self._v1(own, name, memory_bytes, max_pids)
            elif (ROOT / "cgroup.controllers").exists():
                self._v2(own, name, memory_bytes, max_pids)
        except OSError as exc:
            log.debug("judge worker cgroup unavailable: %s", exc)
            self.close()

    @property
    def active(self) -> bool:
        return bool(self.dirs)

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def _make(self, parent: Path, name: str) -> Path:
        _sweep(parent)
        path = parent / name
        path.mkdir()
        self.dirs.append(path)
        return path

    def _v1(self, own: dict[str, str], name: str, memory_bytes: int, max_pids: int) -> None:
        memory = self._make(ROOT / "memory" / own.get("memory", "/").lstrip("/"), name)
        _write(memory / "memory.limit_in_bytes", str(memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():  # no escape into swap either
            _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
        pids_root = ROOT / "pids"
        if pids_root.is_dir():
            pids = self._make(pids_root / own.get("pids", "/").lstrip("/"), name)
            _write(pids / "pids.max", str(max_pids))

    def _v2(self, own: dict[str, str], name: str, memory_bytes: int, max_pids: int) -> None:
        group = self._make(ROOT / own.get("", "/").lstrip("/"), name)
        _write(group / "memory.max", str(memory_bytes))
        if (group / "memory.swap.max").exists():
            _write(group / "memory.swap.max", "0")
        _write(group / "pids.max", str(max_pids))

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` started by a shell that first moves itself into the cgroup, so that the
        worker and all its descendants are inside from their first instruction."""
        if not self.active:
            return argv
        # A refused join is not fatal: the worker starts anyway, and ``holds`` tells.
        script = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ 2>/dev/null > "$f"; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *self.procs_files, "--", *argv]

    def holds(self, pid: int) -> bool:
        """Did ``pid`` get into every one of our cgroups?"""
        try:
            return all(str(pid) in Path(f).read_text().split() for f in self.procs_files)
        except OSError:
            return False

    def close(self) -> None:
        """Remove the cgroup once its processes are gone (they may take a moment to exit)."""
        for path in reversed(self.dirs):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.dirs = []
