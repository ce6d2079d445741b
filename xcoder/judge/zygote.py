"""The judge's worker ("zygote"): a pre-imported Python process that forks one child per test.

It runs inside the sandbox (see ``sandbox.py``) and speaks length-prefixed JSON with the host
on its stdin/stdout. It is trusted code but stays stdlib-only and self-contained, because it is
started as a script: nothing from the host's packages (or their import cost) leaks into judged
programs. Forking a warm interpreter is what makes per-test overhead about a millisecond instead
of the ~20 ms of a fresh ``python3``.

Each child gets real file descriptors: stdin is a memfd holding the test input, stdout and stderr
are memfds bounded by RLIMIT_FSIZE, so ``input()``, ``sys.stdin.read()``, ``open(0)``,
``sys.stdin.buffer.readline()`` and ``os.write(1, ...)`` all behave as under ``python3 file.py``.
"""

from __future__ import annotations

import atexit
import collections
import ctypes
import errno
import fcntl
import gc
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import time

# ---------------------------------------------------------------------------------------------
# Framing, shared with the host (which imports this module for these two functions).

_HEADER = struct.Struct(">I")


def write_message(fd: int, obj: dict) -> None:
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
    buf = memoryview(_HEADER.pack(len(data)) + data)
    while buf:
        n = os.write(fd, buf)
        buf = buf[n:]


def read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("no answer from the judge worker")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("judge worker pipe closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, deadline: float | None = None) -> dict:
    (size,) = _HEADER.unpack(read_exact(fd, _HEADER.size, deadline))
    return json.loads(read_exact(fd, size, deadline).decode("utf-8", "surrogatepass"))


# ---------------------------------------------------------------------------------------------
# The import prelude LiveCodeBench's judge gives every program: star imports of these modules,
# then the builtins again (so e.g. math's float ``pow`` does not shadow the builtin), then typing.

PRELUDE_MODULES = (
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
    "statistics", "itertools", "functools", "operator", "io", "sys", "json",
)
EXTRA_MODULES = ("sortedcontainers",)  # offered by LeetCode; imported if installed
WINDOW = 4  # tests sent ahead to a warm child
RECURSION_LIMIT = 1_000_000
STACK_BYTES = 1 << 30  # main-thread stack reserve for deep recursion (set before re-exec)
PYTHON_THREAD_STACK = 16 << 20

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, arg: int) -> None:
    _libc.prctl(option, arg, 0, 0, 0)


def _star_names(module) -> dict:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return {n: getattr(module, n) for n in names if hasattr(module, n)}


def build_prelude() -> dict:
    """The builtins mapping judged code runs with: the real builtins plus the prelude's names.

    Serving the prelude as ``__builtins__`` instead of copying it into each program's globals
    saves touching ~1,500 objects (and their copy-on-write pages) in every forked child.
    """
    import builtins
    import importlib
    import typing

    ns: dict = dict(vars(builtins))
    modules = [importlib.import_module(m) for m in PRELUDE_MODULES]
    for mod in modules:
        ns.update(_star_names(mod))
    ns.update(_star_names(builtins))
    ns.update(_star_names(typing))
    for mod in modules:
        ns[mod.__name__] = mod
    for name in EXTRA_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        ns[name] = mod
        ns.update(_star_names(mod))
    return ns


# ---------------------------------------------------------------------------------------------


class _Slot:
    """Compiled code plus the warm child that runs its tests, if one is alive."""

    def __init__(self, code, mode: str, func_name: str | None):
        self.code, self.mode, self.func_name = code, mode, func_name
        self.pid: int | None = None
        self.sock: socket.socket | None = None
        self.limits: tuple = ()
        self.tests_run = 0  # by the current warm child
        self.last_done = 0.0  # when we saw the current warm child finish a test


class _Test:
    """One test's request and file descriptors, kept until its result has been read: stdin is
    a memfd holding the input, stdout/stderr/status are empty memfds, and functional arguments
    travel in a fifth (they can be megabytes, far more than a socket message holds; the child
    parses them and the program's stdin stays empty)."""

    def __init__(self, i: int, text: str, mode: str, timeout: float):
        self.i, self.text, self.mode, self.timeout = i, text, mode, timeout
        self.request = json.dumps({"timeout": timeout}).encode()
        self.sent_at = time.monotonic()
        self.fds: list[int] = []
        self.reopen()

    def reopen(self) -> None:
        """Fresh descriptors, for running the test again in a new child."""
        self.close()
        functional = self.mode == "call"
        data = b"" if functional else self.text.encode("utf-8", "surrogateescape")
        self.fds = [_memfd("stdin", data), _memfd("stdout"), _memfd("stderr"), _memfd("status")]
        if functional:
            self.fds.append(_memfd("args", self.text.encode("utf-8", "surrogateescape")))

    def started(self) -> bool:
        """Did a child take this test? (It marks the status memfd first thing.)"""
        return os.fstat(self.fds[3]).st_size > 0

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


class Zygote:
    """Executes; never judges. One warm child per loaded program runs its tests one after
    another in-process (fresh fds, globals and std streams per test), so a sample costs one fork
    rather than one per test. After any abnormal test the child is discarded and the next test
    gets a fresh one, so a crash, timeout or ``os._exit`` never leaks into the next test."""

    def __init__(self, scratch: str, uid: int | None, pidns: bool, env: dict[str, str]):
        self.scratch = scratch
        self.uid = uid
        self.pidns = pidns
        self.env = env
        self.slots: dict[str, _Slot] = {}
        self._warm: tuple[_Slot, tuple] | None = None
        self.host_in, self.host_out = 0, 1  # the protocol fds, set by main()
        self.pending: list[dict] = []
        self.streaming = self.stop_requested = False
        self.prelude = build_prelude()

    # -- setup ---------------------------------------------------------------------------------

    def probe_uid(self) -> bool:
        """Can children drop to the sandbox uid? (Needs root; a missing uid mapping says no.)"""
        if self.uid is None:
            return False
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(self.uid, self.uid, self.uid)
                os.setresuid(self.uid, self.uid, self.uid)
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    # -- requests ------------------------------------------------------------------------------

    def load(self, msg: dict) -> dict:
        name = msg.get("slot", "main")
        self._retire(name)
        try:
            code = compile(msg["code"], "solution.py", "exec")
        except BaseException as exc:  # SyntaxError, ValueError (NUL bytes), RecursionError...
            self.slots.pop(name, None)
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        self.slots[name] = slot = _Slot(code, msg.get("mode", "stdin"), msg.get("func_name"))
        if "memory_mb" in msg:
            self._warm = (slot, _limits(msg))
        return {"ok": True}

    def warm_up(self) -> None:
        """Fork the loaded program's child now, after answering ``load``: the fork overlaps
        with the host preparing the tests, and happens before their (possibly large) data is
        in this process, so the child neither copies nor counts it against its memory limit."""
        pending, self._warm = self._warm, None
        if pending is not None and pending[0].pid is None:
            self._spawn(*pending)

    def end(self, msg: dict) -> dict:
        """The sample is done: nothing it started may survive, nothing it wrote may remain."""
        for name in list(self.slots):
            self._retire(name)
        self.slots.clear()
        if self.pidns:  # our own IPC namespace (never the host's, which holds other users' objects)
            self._clear_ipc()
        return {"ok": True}

    def _clear_ipc(self) -> None:
        """Remove System V shared memory, queues and semaphores and POSIX queues the sample
        created: they outlive processes and would carry data to the next sample."""
        objects, queues = _ipc_leftovers()
        if not objects and not queues:
            return
        if self.uid is None:
            _remove_ipc(objects, queues)
            return
        helper = os.fork()  # removing needs the owner's uid
        if helper == 0:
            try:
                os.setresuid(self.uid, self.uid, self.uid)
                _remove_ipc(objects, queues)
            finally:
                os._exit(0)
        os.waitpid(helper, 0)

    def run(self, msg: dict) -> dict:
        """Run the loaded program on one input and answer with its result."""
        slot = self.slots.get(msg.get("slot", "main"))
        if slot is None:
            return {"status": "bad_input", "error": "no code loaded"}
        replies: list[dict] = []
        self._pipeline(slot, msg, [msg.get("input", "")], 1, None, replies.append)
        return replies[0]

    def tests(self, msg: dict) -> dict:
        """Run a sample's tests in one request, sending each result as soon as it exists.

        The host compares and answers only ``{"op": "stop"}`` after a failure, so no test waits
        for a round trip, and expected outputs never enter this process: every judged program
        is forked from here, and could read whatever this process held. A stop that arrives
        while a test runs ends that test at once. ``total_timeout`` bounds the sample's wall
        time. With ``end`` the sample is ended (as the ``end`` op) before the final message."""
        slot = self.slots.get(msg.get("slot", "main"))
        budget = msg.get("total_timeout")
        stop_on_failure = msg.get("stop_on_first_failure", True)

        def emit(reply: dict) -> bool:
            write_message(self.host_out, reply)
            return reply["status"] == "ok" or not stop_on_failure

        self.stop_requested = False
        self.streaming = slot is not None
        try:
            if slot is not None:
                # A budget needs each test to start only when the previous one has ended.
                window = 1 if budget is not None else WINDOW
                deadline = None if budget is None else time.monotonic() + float(budget)
                self._pipeline(slot, msg, msg["inputs"], window, deadline, emit)
        finally:
            self.streaming = False
        if msg.get("end"):
            self.end(msg)
        return {"done": True} if slot is not None else {"done": True, "error": "no code loaded"}

    def _poll_host(self) -> bool:
        """Take a message the host sent during a stream, if any. True when it asked to stop."""
        if not select.select([self.host_in], [], [], 0)[0]:
            return False
        msg = read_message(self.host_in)
        if msg.get("op") == "stop":
            self.stop_requested = True
        else:
            self.pending.append(msg)  # not expected mid-stream; answered after it
        return self.stop_requested

    # -- running tests -------------------------------------------------------------------------

    def _pipeline(self, slot: _Slot, msg: dict, inputs: list[str], window: int, deadline: float | None, emit) -> None:
        """Run ``inputs`` in order on the slot's warm child, sending up to ``window`` tests ahead
        so the child goes from one test to the next without waiting for us. ``emit(reply)``
        gets each result in order and returns False to stop. ``deadline`` is the sample's
        budget: a test that would start after it gets the status ``budget``."""
        limits = _limits(msg)
        timeout = float(msg.get("timeout", 6.0))
        if slot.pid is not None and slot.limits != limits:
            self._retire_slot(slot)
        queue: collections.deque[_Test] = collections.deque()
        nxt = 0
        try:
            while queue or nxt < len(inputs):
                if self.streaming and (self.stop_requested or self._poll_host()):
                    return
                while len(queue) < window and nxt < len(inputs):
                    if deadline is not None and time.monotonic() >= deadline:
                        emit({"i": nxt, "status": "budget"})
                        return
                    queue.append(_Test(nxt, inputs[nxt], slot.mode, timeout))
                    nxt += 1
                    self._deliver(slot, limits, queue, [queue[-1]])
                reply = self._complete(slot, limits, queue)
                if reply is None:  # the host said stop
                    return
                queue.popleft().close()
                if not emit(reply):
                    return
        finally:
            for test in queue:
                test.close()
            if queue and slot.pid is not None:
                self._retire_slot(slot)  # it may be running a test nobody wants any more

    def _deliver(self, slot: _Slot, limits: tuple, queue, tests: list) -> None:
        """Send tests to the warm child; a new child gets everything outstanding, in order."""
        if slot.pid is None:
            self._spawn(slot, limits)
            tests = list(queue)
        for test in tests:
            test.sent_at = time.monotonic()
            try:
                socket.send_fds(slot.sock, [test.request], test.fds)
            except OSError:
                return  # the child is gone; _complete notices and replaces it

    def _complete(self, slot: _Slot, limits: tuple, queue) -> dict | None:
        """Wait for the oldest outstanding test and return its result (None: stopped)."""
        head = queue[0]
        reused = slot.pid is not None and slot.tests_run > 0
        for attempt in range(3):
            if slot.pid is None:
                self._deliver(slot, limits, queue, [])
            # The child starts a test as soon as it has finished the one before.
            start = max(head.sent_at, slot.last_done)
            done, timed_out, status = self._await(slot, max(0.0, start + head.timeout - time.monotonic()))
            if self.stop_requested:
                return None
            elapsed = time.monotonic() - start
            if done:
                slot.last_done = start + elapsed
                slot.tests_run += 1
            else:
                self._retire_slot(slot)
                if not timed_out and not head.started():
                    head.reopen()  # the child died between tests, before taking this one
                    continue
            reply = self._reply(slot, head, done, timed_out, status, elapsed)
            if reply["status"] == "memory" and reused and attempt == 0:
                # Earlier tests may have fragmented the warm child's heap; only a fresh
                # process's verdict counts, as under `python3 file.py`.
                if slot.pid is not None:
                    self._retire_slot(slot)
                head.reopen()
                reused = False
                continue
            return reply
        return {"i": head.i, "status": "setup_error", "error": "could not start the program's process"}

    def _reply(self, slot: _Slot, test: "_Test", done: bool, timed_out: bool, status: int, elapsed: float) -> dict:
        out_limit = slot.limits[1]
        stdout, stdout_size = _read_memfd(test.fds[1], out_limit)
        stderr, _ = _read_memfd(test.fds[2], 1 << 20)
        raw_status, _ = _read_memfd(test.fds[3], out_limit)
        reply: dict = {"i": test.i, "time": round(elapsed, 6), "stderr": stderr[-4000:].decode("utf-8", "replace")}
        try:
            child = json.loads(raw_status) if raw_status.strip() else {}
        except ValueError:
            child = {}
        if stdout_size >= out_limit:
            reply["status"] = "output_limit"
        elif timed_out:
            reply["status"] = "timeout"
        elif done:
            reply["status"] = child.get("status", "lost")
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            reply["status"] = "timeout" if sig == signal.SIGXCPU else "signal"
            reply["signal"] = sig
            reply["error"] = f"killed by signal {signal.Signals(sig).name}" if sig in signal.valid_signals() else f"killed by signal {sig}"
        else:
            reply["exit_code"] = code = os.WEXITSTATUS(status)
            if child:
                reply["status"] = child.get("status", "exit")
            elif code == 0 and slot.mode != "call":
                reply["status"] = "ok"  # os._exit(0): whatever reached the fd counts, as under python3
            else:
                reply["status"] = "exit"
                reply["error"] = f"exit code {code}" if code else "exited without returning a value"
            if reply["status"] == "ok" and code != 0:
                reply["status"] = "exit"
                reply["error"] = f"exit code {code}"
        if child.get("error") and "error" not in reply:
            reply["error"] = child["error"]
        if "result" in child:
            reply["result"] = child["result"]
        reply["stdout"] = stdout.decode("utf-8", "replace")
        return reply

    # -- talking to the warm child -------------------------------------------------------------

    def _spawn(self, slot: _Slot, limits: tuple) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            parent.close()
            self._serve(slot, child, limits)
        child.close()
        slot.pid, slot.sock, slot.limits, slot.tests_run, slot.last_done = pid, parent, limits, 0, 0.0

    def _await(self, slot: _Slot, timeout: float) -> tuple[bool, bool, int]:
        """Wait for the test to finish. Returns (child alive and done, timed out, wait status)."""
        pidfd = os.pidfd_open(slot.pid)
        deadline = time.monotonic() + timeout
        try:
            while True:
                watch = [slot.sock, pidfd] + ([self.host_in] if self.streaming and not self.stop_requested else [])
                ready = select.select(watch, [], [], max(0.0, deadline - time.monotonic()))[0]
                if self.host_in not in ready:
                    break
                if self._poll_host():
                    ready = []  # stopped: end this test now, like a timeout nobody will read
                    break
        finally:
            os.close(pidfd)
        if slot.sock in ready:
            for _ in range(2):
                try:
                    if slot.sock.recv(16) == b"ok":
                        return True, False, 0
                except ConnectionResetError:
                    # The child died with tests we sent ahead unread. The kernel reports that
                    # once, before the answers the child did send, so read again.
                    continue
                except OSError:
                    pass
                break
        timed_out = not ready
        if timed_out:
            _kill_group(slot.pid)
        _, status = os.waitpid(slot.pid, 0)
        slot.pid = None
        slot.sock.close()
        slot.sock = None
        return False, timed_out, status

    def _retire(self, name: str) -> None:
        slot = self.slots.get(name)
        if slot is not None:
            self._retire_slot(slot)

    def _retire_slot(self, slot: _Slot) -> None:
        if slot.pid is not None:
            _kill_group(slot.pid)
            try:
                os.waitpid(slot.pid, 0)
            except ChildProcessError:
                pass
            slot.pid = None
        if slot.sock is not None:
            slot.sock.close()
            slot.sock = None
        self._clean_up()

    # -- the warm child ------------------------------------------------------------------------

    def _serve(self, slot: _Slot, sock: socket.socket, limits: tuple) -> None:
        """Runs in the forked child; never returns (an escaping exception would otherwise run
        the zygote's own loop in the child)."""
        try:
            self._serve_tests(slot, sock, limits)
        finally:
            os._exit(72)

    def _serve_tests(self, slot: _Slot, sock: socket.socket, limits: tuple) -> None:
        memory_mb, out_limit, nproc = limits
        try:
            os.setpgid(0, 0)
            if not self.pidns:  # in a pid namespace, the zygote's death already ends everything
                _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            keep = sock.fileno()
            os.closerange(3, keep)
            os.closerange(keep + 1, 65536)
            memory = memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_FSIZE, (out_limit, out_limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if self.uid is not None:
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
                os.setgroups([])
                os.setresgid(self.uid, self.uid, self.uid)
                os.setresuid(self.uid, self.uid, self.uid)
            os.chdir(self.scratch)
            sys.argv = ["solution.py"]
            sys.path[0:1] = [self.scratch]
            sys.setrecursionlimit(RECURSION_LIMIT)
            if hasattr(sys, "set_int_max_str_digits"):
                sys.set_int_max_str_digits(0)
        except BaseException:  # pragma: no cover - sandbox misconfiguration
            os._exit(71)

        module_ns: dict | None = None  # functional code: module runs once, methods per test
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
            os.chdir(self.scratch)
            if os.listdir(self.scratch):
                self._wipe_scratch()  # files from earlier tests must not survive into this one
            args = None
            if len(fds) > 4:  # functional arguments, one JSON value per line
                try:
                    args = _read_args(4)
                except ValueError as exc:
                    _report_and_exit({"status": "bad_input", "error": f"test input is not one JSON value per line: {exc}"[:2000]})
            used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            resource.setrlimit(resource.RLIMIT_CPU, (int(used + request["timeout"]) + 2, resource.RLIM_INFINITY))
            sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", errors="surrogateescape", closefd=False)
            sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
            sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
            self.prelude.update(stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)  # from sys import *
            atexit._clear()
            report: dict = {"status": "ok"}
            exit_code = 0
            ns = module_ns if slot.mode == "call" and module_ns is not None else self._fresh_globals()
            try:
                if slot.mode == "call":
                    if module_ns is None:
                        exec(slot.code, ns)
                        module_ns = ns
                    exit_code = self._call(ns, slot.func_name, args, report)
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

    def _fresh_globals(self) -> dict:
        return {"__name__": "__main__", "__file__": "solution.py", "__builtins__": self.prelude}

    @staticmethod
    def _call(ns: dict, func_name: str, args: list, report: dict) -> int:
        target = ns.get("Solution")
        owner = target() if isinstance(target, type) else None  # a fresh instance per test, as LeetCode
        fn = getattr(owner, func_name, None) if owner is not None else None
        if fn is None:
            fn = ns.get(func_name)
        if not callable(fn):
            report.update(status="exception", error=f"no method {func_name!r} on class Solution (nor a function of that name)")
            return 1
        result = fn(*args)
        try:
            report["result"] = json.dumps(result, default=_plain)
        except (TypeError, ValueError) as exc:
            report.update(status="bad_return", error=f"return value of type {type(result).__name__} is not JSON-serializable ({exc})")
        return 0

    # -- cleaning up ---------------------------------------------------------------------------

    def _clean_up(self) -> None:
        """Kill whatever the program left behind (daemons, fork storms) and empty the scratch dir."""
        if self.pidns:
            # Alone in our pid namespace with bwrap's init: -1 reaches exactly the judged programs.
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _reap_all()
        elif self._has_children():
            if self.uid is not None:
                helper = os.fork()
                if helper == 0:
                    try:
                        os.setresuid(self.uid, self.uid, self.uid)
                        os.kill(-1, signal.SIGKILL)  # atomic against forks; spares the caller only
                    finally:
                        os._exit(0)
            else:
                _kill_descendants()
            _reap_all()
        self._wipe_scratch()

    def _wipe_scratch(self) -> None:
        try:
            leftovers = os.listdir(self.scratch)
        except OSError:
            leftovers = []
        for name in leftovers:
            _remove(os.path.join(self.scratch, name))

    @staticmethod
    def _has_children() -> bool:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True


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
            _libc.shmctl(ident, IPC_RMID, None)
        elif kind == "msg":
            _libc.msgctl(ident, IPC_RMID, None)
        else:
            _libc.semctl(ident, 0, IPC_RMID)
    for name in queues:
        try:
            os.unlink(os.path.join("/dev/mqueue", name))
        except OSError:
            pass


def _plain(value):
    """JSON for numpy values a LeetCode method may return (LCB compares them with ``==``, so an
    ``np.int64(6)`` or an array of ints counts as the plain value)."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and type(value).__module__.split(".")[0] == "numpy":
        return tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _limits(msg: dict) -> tuple[int, int, int]:
    """(memory MiB, output bytes, processes) a request asks for."""
    return int(msg.get("memory_mb", 4096)), int(msg.get("output_limit", 64 << 20)), int(msg.get("max_processes", 64))


def _rusage() -> dict:
    """CPU seconds of this worker and of the program processes it has reaped (for benchmarks)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": me.ru_utime + me.ru_stime, "children": kids.ru_utime + kids.ru_stime}


def _read_args(fd: int) -> list:
    """Read and parse a functional test's arguments from ``fd`` (then closed)."""
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    text = b"".join(chunks).decode("utf-8", "surrogateescape")
    return [json.loads(line) for line in text.split("\n")]


def _report_and_exit(report: dict) -> None:
    try:
        os.write(3, json.dumps(report).encode())
    finally:
        os._exit(1)


def _memfd(name: str, data: bytes = b"") -> int:
    fd = os.memfd_create(name, 0)
    if data:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_memfd(fd: int, limit: int) -> tuple[bytes, int]:
    size = os.fstat(fd).st_size
    return os.pread(fd, min(size, limit), 0), size


def _kill_group(pid: int) -> None:
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
            _kill_group(pid)
        _reap_all(block=False)


def _reap_all(block: bool = True, limit: float = 5.0) -> None:
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
    for stream in {id(s): s for s in (sys.stdout, sys.__stdout__, sys.stderr, sys.__stderr__) if s is not None}.values():
        try:
            stream.flush()
        except OSError as exc:
            if exc.errno == errno.EFBIG:
                report.update(status="output_limit", error="output limit exceeded")
            exit_code = exit_code or 120
        except BaseException:
            exit_code = exit_code or 120
    return exit_code


# ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("--pidns", action="store_true")
    parser.add_argument("--env", default="{}")
    args = parser.parse_args(argv)

    # Deep recursion needs a big main-thread stack, and the kernel sizes the stack gap at exec
    # time: raise the limit and re-exec once. Python threads keep a normal stack size.
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = STACK_BYTES if hard == resource.RLIM_INFINITY else min(hard, STACK_BYTES)
    if soft != resource.RLIM_INFINITY and soft < want and not os.environ.get("XCODER_ZYGOTE_REEXEC"):
        resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
        os.environ["XCODER_ZYGOTE_REEXEC"] = "1"
        os.execv(sys.executable, [sys.executable, "-E", "-s", os.path.abspath(__file__), *argv])
    os.environ.pop("XCODER_ZYGOTE_REEXEC", None)
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # huge integers in test data pass through us as JSON

    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # judged programs must not import our modules by accident
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_DUMPABLE, 0)
    # Via _thread, not threading: importing threading here would add its at-fork handler (about
    # 0.8 ms) to every fork, though few programs use threads.
    import _thread

    _thread.stack_size(PYTHON_THREAD_STACK)
    os.makedirs(args.scratch, exist_ok=True)
    os.chmod(args.scratch, 0o1777)

    # Judged programs inherit exactly this environment; setting it once here keeps it off the
    # per-test path.
    os.environ.clear()
    os.environ.update(json.loads(args.env))
    os.environ.update(HOME=args.scratch, TMPDIR=args.scratch, PWD=args.scratch)
    # Inherited by every child: no setuid-binary or file-capability gains for judged code.
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    zygote = Zygote(args.scratch, args.uid, args.pidns, json.loads(args.env))
    uid_ok = zygote.probe_uid()
    if not uid_ok:
        zygote.uid = None
    write_message(proto_out, {"ready": True, "pid": os.getpid(), "uid": zygote.uid, "pidns": args.pidns})
    zygote.host_in, zygote.host_out = proto_in, proto_out
    handlers = {"load": zygote.load, "run": zygote.run, "tests": zygote.tests, "end": zygote.end, "ping": lambda m: {"ok": True, "rusage": _rusage()}}
    while True:
        try:
            msg = zygote.pending.pop(0) if zygote.pending else read_message(proto_in)
        except EOFError:
            return
        op = msg.get("op")
        if op == "exit":
            return
        if op == "stop":
            continue  # a stop that crossed the end of its stream: nothing to stop, nothing to answer
        handler = handlers.get(op)
        reply = handler(msg) if handler else {"error": f"unknown op {op!r}"}
        if op == "load":
            # Keep the collector of every forked child off the zygote's objects (and their pages).
            gc.freeze()
        write_message(proto_out, reply)
        if op == "load":
            zygote.warm_up()


if __name__ == "__main__":
    main(sys.argv[1:])
