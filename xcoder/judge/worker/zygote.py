"""The judge's worker ("zygote"): a pre-imported Python process that forks one child per loaded
program, and its request loop.

It runs inside the sandbox (see ``sandbox.py``), started by ``__main__.py``, and speaks
length-prefixed JSON with the host on its stdin/stdout (``protocol.py``). It is trusted code but
stays stdlib-only and self-contained, because it is started by path: nothing from the host's
packages (or their import cost) leaks into judged programs. Forking a warm interpreter is what
makes per-test overhead about a millisecond instead of the ~20 ms of a fresh ``python3``.

Each child (``child.py``) gets real file descriptors: stdin is a memfd holding the test input,
stdout and stderr are memfds bounded by RLIMIT_FSIZE, so ``input()``, ``sys.stdin.read()``,
``open(0)``, ``sys.stdin.buffer.readline()`` and ``os.write(1, ...)`` all behave as under
``python3 file.py``.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import resource
import select
import signal
import socket
import sys
import time

from .child import serve
from .cleanup import clean_up, clear_ipc, kill_group
from .libc import PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, prctl
from .prelude import build_prelude, preimport_test_runner
from .protocol import read_message, write_message
from .testfile import prepare as prepare_test_runner

WINDOW = 4  # tests sent ahead to a warm child
MODES = ("stdin", "call", "pytest")  # run the program / call its function / run a unit-test file on it
RUNNERS = ("auto", "pytest")  # pytest mode: plain files without a pytest session (plaintests.py) / always pytest
STACK_BYTES = 1 << 30  # main-thread stack reserve for deep recursion (set before re-exec)
PYTHON_THREAD_STACK = 16 << 20

# ---------------------------------------------------------------------------------------------


class _Slot:
    """Compiled code plus the warm child that runs its tests, if one is alive."""

    def __init__(
        self,
        code,
        mode: str,
        func_name: str | None,
        source: str = "",
        exitfirst: bool = False,
        lcb: bool = False,
        solution_class: bool = False,
        runner: str = "auto",
    ):
        self.code, self.mode, self.func_name = code, mode, func_name
        self.source, self.exitfirst = source, exitfirst  # pytest mode: the program's text, and -x
        self.runner = runner  # pytest mode: auto (plain files without a pytest session) or pytest
        self.lcb, self.solution_class = lcb, solution_class  # LiveCodeBench's semantics (lcb.py)
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

    def __init__(self, i: int, text: str, mode: str, timeout: float, alarm: int | None = None, side: bool = False):
        self.i, self.text, self.mode, self.timeout, self.side = i, text, mode, timeout, side
        self.request = json.dumps({"timeout": timeout, "alarm": alarm}).encode()
        self.sent_at = time.monotonic()
        self.fds: list[int] = []
        self.reopen()

    def reopen(self) -> None:
        """Fresh descriptors, for running the test again in a new child."""
        self.close()
        side = self.side or self.mode in ("call", "pytest")  # the text goes beside stdin, which stays empty
        data = b"" if side else self.text.encode("utf-8", "surrogateescape")
        self.fds = [_memfd("stdin", data), _memfd("stdout"), _memfd("stderr"), _memfd("status")]
        if side:
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
        if preimport_test_runner():
            prepare_test_runner(scratch)  # pytest.main's start, once, for every unit-test sample

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
        mode = msg.get("mode", "stdin")
        if mode not in MODES:
            self.slots.pop(name, None)
            return {"ok": False, "error": f"unknown mode {mode!r}"}
        source = msg["code"] if mode == "pytest" else ""
        lcb = msg.get("semantics") == "lcb" and mode != "pytest"
        runner = msg.get("runner", "auto")
        if runner not in RUNNERS:
            self.slots.pop(name, None)
            return {"ok": False, "error": f"unknown unit-test runner {runner!r}"}
        self.slots[name] = slot = _Slot(
            code,
            mode,
            msg.get("func_name"),
            source,
            bool(msg.get("exitfirst")),
            lcb,
            bool(msg.get("solution_class")),
            runner,
        )
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
            clear_ipc(self.uid)
        return {"ok": True}

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
                    queue.append(_Test(nxt, inputs[nxt], slot.mode, timeout, msg.get("alarm"), slot.lcb))
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

    def _reply(self, slot: _Slot, test: _Test, done: bool, timed_out: bool, status: int, elapsed: float) -> dict:
        out_limit = slot.limits[1]
        stdout, stdout_size = _read_memfd(test.fds[1], out_limit)
        stderr, _ = _read_memfd(test.fds[2], 1 << 20)
        raw_status, _ = _read_memfd(test.fds[3], out_limit)
        reply: dict = {"i": test.i, "time": round(elapsed, 6), "stderr": stderr[-4000:].decode("utf-8", "replace")}
        if slot.mode == "pytest":
            # JSON lines: events as they happened, then the child's report (if it got there).
            events, child = _status_lines(raw_status)
            reply["events"] = events
        else:
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
            reply["error"] = (
                f"killed by signal {signal.Signals(sig).name}"
                if sig in signal.valid_signals()
                else f"killed by signal {sig}"
            )
        else:
            reply["exit_code"] = code = os.WEXITSTATUS(status)
            if child:
                reply["status"] = child.get("status", "exit")
            elif code == 0 and slot.mode == "stdin" and not slot.lcb:  # (LCB: a child that died is a failure)
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
        for key in ("pytest_exit", "runner", "fallback", "captured", "typed_result", "lcb_stage"):
            if key in child:
                reply[key] = child[key]
        reply["stdout"] = stdout.decode("utf-8", "replace")
        return reply

    # -- talking to the warm child -------------------------------------------------------------

    def _spawn(self, slot: _Slot, limits: tuple) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            parent.close()
            serve(slot, child, limits, self.scratch, self.uid, self.pidns, self.prelude)
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
            kill_group(slot.pid)
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
            kill_group(slot.pid)
            try:
                os.waitpid(slot.pid, 0)
            except ChildProcessError:
                pass
            slot.pid = None
        if slot.sock is not None:
            slot.sock.close()
            slot.sock = None
        clean_up(self.scratch, self.uid, self.pidns)


def _limits(msg: dict) -> tuple[int, int, int]:
    """(memory MiB, output bytes, processes) a request asks for."""
    return int(msg.get("memory_mb", 4096)), int(msg.get("output_limit", 64 << 20)), int(msg.get("max_processes", 64))


def _rusage() -> dict:
    """CPU seconds of this worker and of the program processes it has reaped (for benchmarks)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": me.ru_utime + me.ru_stime, "children": kids.ru_utime + kids.ru_stime}


def _memfd(name: str, data: bytes = b"") -> int:
    fd = os.memfd_create(name, 0)
    if data:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _status_lines(raw: bytes) -> tuple[list[dict], dict]:
    """A pytest-mode status memfd: the event lines, and the final report (empty if the child
    never wrote it)."""
    events, report = [], {}
    for line in raw.split(b"\n"):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        if "event" in obj:
            events.append(obj)
        elif "status" in obj:
            report = obj
    return events, report


def _read_memfd(fd: int, limit: int) -> tuple[bytes, int]:
    size = os.fstat(fd).st_size
    return os.pread(fd, min(size, limit), 0), size


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
        entry = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__main__.py")  # as the sandbox runs it
        os.execv(sys.executable, [sys.executable, "-E", "-s", entry, *argv])
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
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_DUMPABLE, 0)
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
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    zygote = Zygote(args.scratch, args.uid, args.pidns, json.loads(args.env))
    uid_ok = zygote.probe_uid()
    if not uid_ok:
        zygote.uid = None
    write_message(proto_out, {"ready": True, "pid": os.getpid(), "uid": zygote.uid, "pidns": args.pidns})
    zygote.host_in, zygote.host_out = proto_in, proto_out
    handlers = {
        "load": zygote.load,
        "run": zygote.run,
        "tests": zygote.tests,
        "end": zygote.end,
        "ping": lambda m: {"ok": True, "rusage": _rusage()},
    }
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
