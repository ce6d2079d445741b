"""The libc calls the worker needs and the standard library lacks (prctl, System V IPC)."""

from __future__ import annotations

import ctypes

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

libc = ctypes.CDLL(None, use_errno=True)


def prctl(option: int, arg: int) -> None:
    libc.prctl(option, arg, 0, 0, 0)
