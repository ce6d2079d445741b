"""The warm child: the process the worker forks for a loaded program, where judged code runs.

``serve`` is all a child ever runs. ``apply_limits`` confines it, once, before any judged code;
then it runs tests one after another in-process, each with fresh file descriptors (received from
the worker: stdin, stdout, stderr, a status memfd, and a functional test's arguments or a unit-test
file), globals and std streams. A unit-test problem (``pytest`` mode) is one such run: pytest runs
the whole file (``testfile.py``). After a test that does not end normally the child exits, and the worker forks a
new one for the next test.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import json
import os
import resource
import signal
import socket
import sys
from typing import TYPE_CHECKING

from .cleanup import wipe_scratch
from .lcb import LcbState, reliability_guard, run_call_test, run_stdin_test
from .libc import PR_SET_PDEATHSIG, prctl
from .testfile import run_test_file

if TYPE_CHECKING:
    from .zygote import _Slot

RECURSION_LIMIT = 1_000_000


def serve(
    slot: _Slot, sock: socket.socket, limits: tuple, scratch: str, uid: int | None, pidns: bool, prelude: dict
) -> None:
    """Runs in the forked child; never returns (an escaping exception would otherwise run
    the zygote's own loop in the child)."""
    try:
        apply_limits(sock, limits, scratch, uid, pidns)
        _serve_tests(slot, sock, scratch, prelude)
    finally:
        os._exit(72)


def apply_limits(sock: socket.socket, limits: tuple, scratch: str, uid: int | None, pidns: bool) -> None:
    """Confine this child before it runs any judged code; if any step fails it exits (71) instead.

    Its own process group (what the worker kills), death with the worker, no file descriptor but
    the worker's socket, limits on address space, file size (so on output) and core dumps, and
    with a private ``uid`` a process limit and the drop to that uid for good (real, effective and
    saved ids, no groups). Then the scratch directory as working directory and first import path.

    Set elsewhere: RLIMIT_CPU per test (in ``_serve_tests``: it counts from the CPU time already
    used); for the whole worker and inherited, no_new_privs, non-dumpable, the subreaper and the
    environment (``zygote.main``); around the worker, the sandbox and cgroup (``sandbox.py``).
    """
    memory_mb, out_limit, nproc = limits
    try:
        os.setpgid(0, 0)
        if not pidns:  # in a pid namespace, the zygote's death already ends everything
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        keep = sock.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 65536)
        memory = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (out_limit, out_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        os.chdir(scratch)
        sys.argv = ["solution.py"]
        sys.path[0:1] = [scratch]
        sys.setrecursionlimit(RECURSION_LIMIT)
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(0)
    except BaseException:  # pragma: no cover - sandbox misconfiguration
        os._exit(71)


def _serve_tests(slot: _Slot, sock: socket.socket, scratch: str, prelude: dict) -> None:
    module_ns: dict | None = None  # functional code: module runs once, methods per test
    lcb_state = None
    if slot.lcb:  # LiveCodeBench's semantics: its guard once per process (lcb.py)
        lcb_state = LcbState()
        reliability_guard()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 5)
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)
        request = json.loads(data)
        if min(fds, default=0) < len(fds):
            # Received fds landed among the targets (first test, or the program closed some):
            # move them clear first.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 16) for fd in fds]
            for fd in fds:
                os.close(fd)
            fds = high
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.write(3, b" ")  # marks the test as taken (see _Test.started)
        if not slot.lcb:  # (LCB runs a sample's tests in one process and directory, and has no chdir)
            os.chdir(scratch)
            if os.listdir(scratch):
                wipe_scratch(scratch)  # files from earlier tests must not survive into this one
        args = None
        if len(fds) > 4 and (slot.mode == "pytest" or (slot.lcb and slot.mode == "stdin")):
            args = _read_text(4)  # the unit-test file, or LCB's stdin text (fd 0 stays empty under LCB)
        elif len(fds) > 4:  # functional arguments, one JSON value per line
            try:
                args = _read_args(4)
            except ValueError as exc:
                _report_and_exit(
                    {"status": "bad_input", "error": f"test input is not one JSON value per line: {exc}"[:2000]}
                )
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        resource.setrlimit(resource.RLIMIT_CPU, (int(used + request["timeout"]) + 2, resource.RLIM_INFINITY))
        sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", errors="surrogateescape", closefd=False)
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
        sys.stderr = sys.__stderr__ = open(
            2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1
        )
        prelude.update(stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)  # from sys import *
        atexit._clear()
        report: dict = {"status": "ok"}
        exit_code = 0
        ns = module_ns if slot.mode == "call" and module_ns is not None else _fresh_globals(prelude)
        try:
            if lcb_state is not None:
                alarm = int(request.get("alarm") or 6)
                if slot.mode == "call":
                    exit_code = run_call_test(
                        lcb_state, slot.code, slot.func_name, args, alarm, slot.solution_class, report
                    )
                else:
                    exit_code = run_stdin_test(lcb_state, slot.code, args, alarm, slot.solution_class, report)
            elif slot.mode == "call":
                if module_ns is None:
                    exec(slot.code, ns)
                    module_ns = ns
                exit_code = _call(ns, slot.func_name, args, report)
            elif slot.mode == "pytest":
                exit_code = run_test_file(slot.source, args, scratch, slot.exitfirst, report, slot.runner)
            else:
                exec(slot.code, ns)
        except SystemExit as exc:
            exit_code = _exit_code(exc)
        except MemoryError:
            report = {"status": "memory", "error": "MemoryError"}
            exit_code = 1
        except BaseException as exc:
            exit_code = 1
            report = {"status": "exception", "error": _describe(exc)}
            _print_traceback()
        if lcb_state is None:
            exit_code = _finish(exit_code, report)  # atexit handlers still see the globals
        if slot.mode != "call":
            ns.clear()  # drops the program's objects now, so files it opened flush into this test
        ns = None
        if report["status"] == "ok" and exit_code != 0:
            report = {"status": "exit", "error": f"exit code {exit_code}"}
        try:
            os.write(3, json.dumps(report).encode())
        except OSError:
            os._exit(exit_code or 1)
        if report["status"] != "ok":
            os._exit(exit_code or 1)
        try:
            sock.send(b"ok")
        except OSError:
            os._exit(0)


def _fresh_globals(prelude: dict) -> dict:
    return {"__name__": "__main__", "__file__": "solution.py", "__builtins__": prelude}


def _call(ns: dict, func_name: str, args: list, report: dict) -> int:
    target = ns.get("Solution")
    owner = target() if isinstance(target, type) else None  # a fresh instance per test, as LeetCode
    fn = getattr(owner, func_name, None) if owner is not None else None
    if fn is None:
        fn = ns.get(func_name)
    if not callable(fn):
        report.update(
            status="exception", error=f"no method {func_name!r} on class Solution (nor a function of that name)"
        )
        return 1
    result = fn(*args)
    try:
        report["result"] = json.dumps(result, default=_plain)
    except (TypeError, ValueError) as exc:
        report.update(
            status="bad_return", error=f"return value of type {type(result).__name__} is not JSON-serializable ({exc})"
        )
    return 0


def _plain(value):
    """JSON for numpy values a LeetCode method may return (LCB compares them with ``==``, so an
    ``np.int64(6)`` or an array of ints counts as the plain value)."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and type(value).__module__.split(".")[0] == "numpy":
        return tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _read_text(fd: int) -> str:
    """Read all of ``fd`` (then closed) as text."""
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "surrogateescape")


def _read_args(fd: int) -> list:
    """Read and parse a functional test's arguments from ``fd`` (then closed)."""
    return [json.loads(line) for line in _read_text(fd).split("\n")]


def _report_and_exit(report: dict) -> None:
    try:
        os.write(3, json.dumps(report).encode())
    finally:
        os._exit(1)


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _describe(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:2000]
    except Exception:
        return type(exc).__name__


def _print_traceback() -> None:
    try:
        import traceback

        traceback.print_exc(limit=20)
    except BaseException:
        pass


def _finish(exit_code: int, report: dict) -> int:
    """What interpreter shutdown does: join non-daemon threads, run atexit, flush stdio."""
    threading = sys.modules.get("threading")  # not imported: no Python threads to wait for
    try:
        main = threading.main_thread() if threading else None
        for thread in threading.enumerate() if threading else ():
            if thread is not main and not thread.daemon:
                thread.join()
    except BaseException:
        pass
    try:
        import atexit

        atexit._run_exitfuncs()
    except SystemExit as exc:
        exit_code = _exit_code(exc)
    except BaseException:
        pass
    for stream in {
        id(s): s for s in (sys.stdout, sys.__stdout__, sys.stderr, sys.__stderr__) if s is not None
    }.values():
        try:
            stream.flush()
        except OSError as exc:
            if exc.errno == errno.EFBIG:
                report.update(status="output_limit", error="output limit exceeded")
            exit_code = exit_code or 120
        except BaseException:
            exit_code = exit_code or 120
    return exit_code
