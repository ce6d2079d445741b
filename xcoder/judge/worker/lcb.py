"""LiveCodeBench's execution semantics in the warm child (``semantics="lcb"``).

What LCB's runner (``lcb_runner/evaluation/testing_util.py``) does to a program, reproduced so
that verdicts match it one for one; the sandbox around the child stays xcoder's. The host sends
the program already rewritten as LCB rewrites it (``xcoder/judge/lcb.py``); here:

* once per process, LCB's ``reliability_guard``: ``os.kill``, ``os.getcwd``, ``subprocess.Popen``,
  ``shutil.rmtree``... and ``quit``/``help`` become None, ``resource``/``psutil``... cannot be
  imported, and (not in LCB's environment) neither can ``sortedcontainers``; integers print up
  to 50,000 digits;
* the module is executed once, as ``tmp_sol``, under the alarm; ``Solution()`` is made once
  when the text ``class Solution`` occurs in the code, and shared by all tests;
* per stdin test: ``sys.stdin`` is a StringIO of the input, and the original stdin object (what
  ``from sys import stdin`` or the prelude's ``stdin`` holds) answers ``readline``/``read``/
  ``readlines`` from the input split on newlines, while fd 0 is empty (``open(0)`` reads
  nothing); ``builtins.open`` returns the input; ``sys.stdout`` is a StringIO, and only what
  reaches it counts as output; ``SystemExit`` ends the test normally, whatever its code;
* per call: the method is called with the test's arguments, a top-level tuple becomes a list,
  and the value goes back typed (tuples stay tuples, dict keys keep their types) for the host
  to compare with ``==``;
* a SIGALRM after ``alarm`` whole seconds raises ``TimeoutException``, an ordinary Exception the
  program may catch (the worker's kill, at LCB's whole-sample limit, is the backstop).
"""

from __future__ import annotations

import builtins
import io
import os
import signal
import sys
import types

GUARDED_OS = (
    "kill",
    "system",
    "putenv",
    "remove",
    "removedirs",
    "rmdir",
    "fchdir",
    "setuid",
    "fork",
    "forkpty",
    "killpg",
    "rename",
    "renames",
    "truncate",
    "replace",
    "unlink",
    "fchmod",
    "fchown",
    "chmod",
    "chown",
    "chroot",
    "lchflags",
    "lchmod",
    "lchown",
    "getcwd",
    "chdir",
)
BLOCKED_MODULES = ("ipdb", "joblib", "resource", "psutil", "tkinter", "sortedcontainers")
INT_MAX_STR_DIGITS = 50000


class TimeoutException(Exception):
    pass


def _alarm_handler(signum, frame):
    raise TimeoutException("timeout occured: alarm went off")


class LcbState:
    """Per child: the guard applied, the executed module, the shared ``Solution`` instance and
    the original stdin object."""

    def __init__(self) -> None:
        self.module: types.ModuleType | None = None
        self.instance = None
        self.stdin = None
        self.open = builtins.open


def reliability_guard() -> None:
    """LCB's guard, without a memory limit (LCB calls it without one)."""
    import shutil
    import subprocess

    os.environ["OMP_NUM_THREADS"] = "1"
    for name in GUARDED_OS:
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None
    builtins.quit = None
    builtins.help = None
    for name in BLOCKED_MODULES:
        sys.modules[name] = None
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(INT_MAX_STR_DIGITS)
    signal.signal(signal.SIGALRM, _alarm_handler)


def _load(state: LcbState, code, alarm: int, has_solution_class: bool, report: dict) -> bool:
    """Execute the module once (LCB's "compile" stage): any failure, a timeout included, is a
    runtime error of the test."""
    if state.module is not None:
        return True
    module = types.ModuleType("tmp_sol")
    signal.alarm(alarm)
    try:
        exec(code, module.__dict__)
        if has_solution_class:
            state.instance = module.Solution()
    except Exception as exc:  # LCB: "Error during testing"
        report.update(status="exception", error=f"compile: {type(exc).__name__}: {exc}"[:2000], lcb_stage="compile")
        return False
    finally:
        signal.alarm(0)
    state.module = module
    return True


def run_stdin_test(state: LcbState, code, text: str, alarm: int, has_solution_class: bool, report: dict) -> int:
    if state.stdin is None:
        state.stdin = sys.stdin  # the original object; the prelude's ``stdin`` is bound to it
    stdin = state.stdin
    sys.stdin = stdin
    if not _load(state, code, alarm, has_solution_class, report):
        return 1
    lines = iter(text.split("\n"))
    saved = (sys.stdin, sys.stdout, builtins.open)
    stdin.readline = lambda *args: next(lines)
    stdin.readlines = lambda *args: text.split("\n")
    stdin.read = lambda *args: text
    sys.stdin = io.StringIO(text)
    builtins.open = lambda *args, **kwargs: io.StringIO(text)
    captured = io.StringIO()
    sys.stdout = captured
    signal.alarm(alarm)
    try:
        try:
            state.module.wrapped_function()
        except SystemExit:
            pass
    except TimeoutException:
        report.update(status="timeout", error="TimeoutException (LCB's alarm)")
    except Exception as exc:
        report.update(status="exception", error=f"{type(exc).__name__}: {exc}"[:2000])
    finally:
        signal.alarm(0)
        sys.stdin, sys.stdout, builtins.open = saved
        for name in ("readline", "readlines", "read"):
            stdin.__dict__.pop(name, None)
    report["captured"] = captured.getvalue()
    return 0 if report["status"] == "ok" else 1


def run_call_test(
    state: LcbState, code, func_name: str, args: list, alarm: int, has_solution_class: bool, report: dict
) -> int:
    if not _load(state, code, alarm, has_solution_class, report):
        return 1
    owner = state.instance if has_solution_class else state.module
    method = getattr(owner, func_name, None)
    if method is None:
        report.update(
            status="exception",
            error=f"TypeError: no method {func_name!r} (LCB: cannot unpack non-iterable NoneType object)",
        )
        return 1
    signal.alarm(alarm)
    try:
        result = method(*args)
    except TimeoutException:
        report.update(status="timeout", error="TimeoutException (LCB's alarm)")
        return 1
    except Exception as exc:
        report.update(status="exception", error=f"{type(exc).__name__}: {exc}"[:2000])
        return 1
    finally:
        signal.alarm(0)
    if isinstance(result, tuple):
        result = list(result)
    report["typed_result"] = typed(result)
    return 0


def typed(value, depth: int = 0):
    """A JSON form of a return value that keeps what ``==`` against the expected JSON value
    depends on: tuples, sets, dict key types, numpy values."""
    if depth > 200:
        return {"o": "deep", "r": "..."}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"i": str(value)}
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, list):
        return {"l": [typed(v, depth + 1) for v in value]}
    if isinstance(value, tuple):
        return {"t": [typed(v, depth + 1) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"s": [typed(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"d": [[typed(k, depth + 1), typed(v, depth + 1)] for k, v in value.items()]}
    module = type(value).__module__.split(".")[0]
    if module == "numpy":
        shape = getattr(value, "shape", ())
        if shape == ():
            return typed(value.item(), depth + 1)
        return {"a": [typed(v, depth + 1) for v in value.reshape(-1).tolist()], "n": int(value.size)}
    try:
        text = repr(value)[:200]
    except Exception:  # noqa: BLE001
        text = "?"
    return {"o": type(value).__name__, "r": text}
