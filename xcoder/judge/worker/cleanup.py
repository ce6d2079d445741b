"""Ending what judged programs leave behind: processes (reaped, or killed and reaped), files in
the scratch directory, and System V / POSIX IPC objects.

Called by the worker between samples and after a discarded child; the warm child also calls
``wipe_scratch`` before each test.
"""

from __future__ import annotations

import os
import signal
import time

from .libc import libc


def clean_up(scratch: str, uid: int | None, pidns: bool) -> None:
    """Kill whatever the program left behind (daemons, fork storms) and empty the scratch dir."""
    if pidns:
        # Alone in our pid namespace with bwrap's init: -1 reaches exactly the judged programs.
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap_all()
    elif _has_children():
        if uid is not None:
            helper = os.fork()
            if helper == 0:
                try:
                    os.setresuid(uid, uid, uid)
                    os.kill(-1, signal.SIGKILL)  # atomic against forks; spares the caller only
                finally:
                    os._exit(0)
        else:
            _kill_descendants()
        reap_all()
    wipe_scratch(scratch)


def wipe_scratch(scratch: str) -> None:
    try:
        leftovers = os.listdir(scratch)
    except OSError:
        leftovers = []
    for name in leftovers:
        _remove(os.path.join(scratch, name))


def _has_children() -> bool:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def clear_ipc(uid: int | None) -> None:
    """Remove System V shared memory, queues and semaphores and POSIX queues the sample
    created: they outlive processes and would carry data to the next sample."""
    objects, queues = _ipc_leftovers()
    if not objects and not queues:
        return
    if uid is None:
        _remove_ipc(objects, queues)
        return
    helper = os.fork()  # removing needs the owner's uid
    if helper == 0:
        try:
            os.setresuid(uid, uid, uid)
            _remove_ipc(objects, queues)
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


IPC_RMID = 0


def _ipc_leftovers() -> tuple[list[tuple[str, int]], list[str]]:
    found: list[tuple[str, int]] = []
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                next(fh, None)  # the header
                found += [(kind, int(line.split()[1])) for line in fh if line.strip()]
        except (OSError, ValueError, IndexError):
            pass
    try:
        queues = os.listdir("/dev/mqueue")
    except OSError:
        queues = []
    return found, queues


def _remove_ipc(objects: list[tuple[str, int]], queues: list[str]) -> None:
    for kind, ident in objects:
        if kind == "shm":
            libc.shmctl(ident, IPC_RMID, None)
        elif kind == "msg":
            libc.msgctl(ident, IPC_RMID, None)
        else:
            libc.semctl(ident, 0, IPC_RMID)
    for name in queues:
        try:
            os.unlink(os.path.join("/dev/mqueue", name))
        except OSError:
            pass


def kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except ProcessLookupError:
            pass


def _kill_descendants() -> None:
    """Without a pid namespace or a private uid: kill processes reparented to us (we are a
    subreaper), repeatedly, since each kill may orphan more."""
    me = str(os.getpid())
    for _ in range(1000):
        victims = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if fields[1].decode() == me:
                victims.append(int(entry))
        if not victims:
            return
        for pid in victims:
            kill_group(pid)
        reap_all(block=False)


def reap_all(block: bool = True, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if not block or time.monotonic() > deadline:
                return
            time.sleep(0.001)


def _remove(path: str) -> None:
    import shutil

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass
