"""Hostile programs: each tries to escape, persist, snoop or take the judge down.

Every test checks the effect from the host side (a file that must not appear, a process that
must not survive, a secret that must not be printed), not the program's own report alone.
"""

from __future__ import annotations

import os
import socket
import textwrap
import threading
import time
from pathlib import Path

import pytest

from xcoder.judge import Judge, JudgeConfig, Verdict
from xcoder.judge.sandbox import UID_BASE, UID_COUNT
from xcoder.problem import Problem, TestCase

ECHO = Problem("echo", [TestCase("hello\n", "hello\n")])
SECRET = "xcoder-test-secret-7f3a9c"


@pytest.fixture(scope="module")
def judge():
    os.environ["XCODER_HOSTILE_SECRET"] = SECRET
    with Judge(JudgeConfig(workers=2, timeout=2)) as j:
        yield j
    os.environ.pop("XCODER_HOSTILE_SECRET", None)


def isolation(judge) -> str:
    return judge.judge(ECHO, "print(input())").isolation


def namespaces(judge) -> bool:
    return isolation(judge).startswith("namespaces")


# The one explicit opt-out (README, "Development"): without it a weaker sandbox fails these tests
# instead of letting the security suite pass by skipping itself. CI never sets it.
WEAK_SANDBOX_OK = os.environ.get("XCODER_ALLOW_WEAK_SANDBOX") == "1"


def missing_guarantee(message: str) -> None:
    if WEAK_SANDBOX_OK:
        pytest.skip(message + " (XCODER_ALLOW_WEAK_SANDBOX=1)")
    pytest.fail(message + "; install bubblewrap (make setup) or set XCODER_ALLOW_WEAK_SANDBOX=1 to skip")


def require(judge, what: str) -> None:
    """Fail (or, opted out, skip) a guarantee the current isolation level does not make (README's table)."""
    level = isolation(judge)
    if what == "namespaces" and not level.startswith("namespaces"):
        missing_guarantee(f"needs namespace isolation; this machine gives {level!r}")
    if what == "separation" and not (level.startswith("namespaces") or level.endswith("+uid")):
        missing_guarantee(f"needs a pid namespace or a private uid; this machine gives {level!r}")


def test_ci_runs_with_full_isolation(judge):
    # `make setup` installs bubblewrap; the suite must exercise the real sandbox, not skip past it.
    if not isolation(judge).startswith("namespaces"):
        missing_guarantee(f"the judge runs with {isolation(judge)!r}, not namespaces")
    assert isolation(judge).startswith("namespaces")


def run(judge, code, problem=ECHO, **kw):
    return judge.judge(problem, textwrap.dedent(code), **kw)


def judge_uid_processes() -> list[int]:
    """Host pids of processes running as one of the judge's private uids."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                uid_line = next(line for line in fh if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if UID_BASE <= int(uid_line.split()[1]) < UID_BASE + UID_COUNT:
            found.append(int(entry))
    return found


def assert_still_works(judge):
    assert run(judge, "print(input())").verdict is Verdict.ACCEPTED


def test_no_network(judge):
    require(judge, "namespaces")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    server.settimeout(3)

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    code = f"""
    import socket
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=1)
        print("connected")
    except OSError:
        print("blocked")
    try:
        socket.getaddrinfo("pypi.org", 443)
        print("resolved")
    except OSError:
        print("no dns")
    """
    res = run(judge, code, Problem("net", [TestCase("", "blocked\nno dns\n")]))
    t.join()
    server.close()
    assert not accepted, "the judged program reached a host socket"
    assert res.verdict is Verdict.ACCEPTED, res.tests[0].message


def test_cannot_write_outside_scratch(judge, tmp_path):
    require(judge, "namespaces")
    repo = Path(__file__).resolve().parents[1]
    home = Path(os.path.expanduser("~"))
    targets = [
        tmp_path / "escaped.txt",
        repo / "escaped-by-judge.txt",
        home / "escaped-by-judge.txt",
        Path("/tmp/escaped-by-judge.txt"),
    ]
    for target in targets:  # a leftover from an unisolated run elsewhere must not decide this one
        target.unlink(missing_ok=True)
    code = f"""
    import os
    for path in {[str(t) for t in targets]!r}:
        try:
            with open(path, "w") as fh:
                fh.write("pwned")
        except OSError:
            pass
    with open("scratch-ok.txt", "w") as fh:  # the working directory is writable
        fh.write("fine")
    print(open("scratch-ok.txt").read())
    """
    res = run(judge, code, Problem("fs", [TestCase("", "fine\n")]))
    assert res.verdict is Verdict.ACCEPTED, res.tests[0].stderr
    for target in targets:
        assert not target.exists(), f"judged code wrote {target}"


def test_cannot_read_the_callers_files(judge):
    # The tests of a dataset, the project's checkout, checkpoints: a program that could read them
    # could look its answers up. Judged code sees the system and the interpreter, nothing else.
    require(judge, "namespaces")
    import tempfile

    repo = Path(__file__).resolve().parents[1]
    base = "/var/tmp" if os.access("/var/tmp", os.W_OK) else str(repo)
    with tempfile.TemporaryDirectory(dir=base) as data:
        tests_file = Path(data, "rl.jsonl")
        tests_file.write_text(SECRET)
        tests_file.chmod(0o644)
        Path(data).chmod(0o755)
        targets = [str(tests_file), str(repo / "pyproject.toml"), str(repo / "tests" / "test_judge_hostile.py")]
        code = f"""
        import os, sys
        for path in {targets!r}:
            try:
                print(path, open(path).read(200).replace(chr(10), " "))
            except OSError as exc:
                print(path, "unreadable:", type(exc).__name__)
        print("stdlib", os.path.exists(os.__file__), "etc", os.path.exists("/etc/passwd"))
        """
        [out] = judge.run_outputs(textwrap.dedent(code), [""])
    assert out.output is not None, out
    assert SECRET not in out.output and "[project]" not in out.output and "each tries to escape" not in out.output, (
        out.output
    )
    assert out.output.count("unreadable: FileNotFoundError") == 3, out.output
    assert "stdlib True etc True" in out.output  # the program itself still works


def test_of_the_checkout_only_the_worker_package_is_visible(judge):
    # The worker runs from the checkout: its package directory is exposed (read-only), and nothing
    # beside it, not even the rest of xcoder.judge.
    require(judge, "namespaces")
    from xcoder.judge.sandbox import WORKER_DIR

    package = WORKER_DIR.resolve()
    code = f"""
    import os
    print(sorted(os.listdir({str(package.parent)!r})), sorted(os.listdir({str(package.parent.parent)!r})))
    print(sorted(n for n in os.listdir({str(package)!r}) if n != "__pycache__"))
    for path in {[str(package.parent / "sandbox.py"), str(package.parent.parent / "__init__.py")]!r}:
        print(path, os.path.exists(path))
    """
    [out] = judge.run_outputs(textwrap.dedent(code), [""])
    assert out.output is not None, out
    lines = out.output.splitlines()
    assert lines[0] == "['worker'] ['judge']", out.output
    assert lines[1] == str(sorted(p.name for p in package.iterdir() if p.name != "__pycache__")), out.output
    assert [line.rsplit(" ", 1)[1] for line in lines[2:]] == ["False", "False"], out.output


def test_environment_is_not_visible(judge):
    require(judge, "separation")
    assert os.environ["XCODER_HOSTILE_SECRET"] == SECRET
    code = """
    import os, glob
    found = [k for k, v in os.environ.items() if "secret" in (k + v).lower()]
    for path in glob.glob("/proc/*/environ"):
        try:
            if b"xcoder-test-secret" in open(path, "rb").read():
                found.append(path)
        except OSError:
            pass
    print("clean" if not found else found)
    """
    res = run(judge, code, Problem("env", [TestCase("", "clean\n")]))
    assert res.verdict is Verdict.ACCEPTED, res.tests[0].message
    assert SECRET not in res.tests[0].message


def test_daemon_does_not_survive(judge):
    code = """
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for fd in range(3):
                os.close(fd)
            while True:
                time.sleep(0.05)
        os._exit(0)
    print(input())
    """
    res = run(judge, code)
    assert res.verdict is Verdict.ACCEPTED, res.tests[0].message
    if judge.judge(ECHO, "print(input())").isolation.endswith("+uid"):
        time.sleep(0.2)
        assert judge_uid_processes() == [], "a daemon outlived its sample"


def test_fork_storm_is_contained(judge):
    require(judge, "separation")
    code = """
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
    """
    start = time.monotonic()
    res = run(judge, code, timeout=1)
    assert res.verdict is not Verdict.ACCEPTED
    assert time.monotonic() - start < 20
    time.sleep(0.2)
    assert judge_uid_processes() == []
    assert_still_works(judge)


def test_cannot_kill_or_stall_the_judge(judge):
    require(judge, "separation")
    host_pid = os.getpid()
    code = f"""
    import os, signal
    for pid in (os.getppid(), 1, {host_pid}):
        for sig in (signal.SIGKILL, signal.SIGSTOP):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    print(input())
    """
    results = [run(judge, code) for _ in range(3)]
    assert all(r.verdict in (Verdict.ACCEPTED, Verdict.RUNTIME_ERROR) for r in results)
    assert_still_works(judge)


def test_ignoring_signals_does_not_hang(judge):
    code = """
    import signal, time
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
        signal.signal(s, signal.SIG_IGN)
    while True:
        time.sleep(0.01)
    """
    start = time.monotonic()
    assert run(judge, code, timeout=0.5).verdict is Verdict.TIME_LIMIT
    assert time.monotonic() - start < 10


def test_forged_protocol_bytes_are_harmless(judge):
    code = """
    import os, socket
    for fd in range(3, 256):
        try:
            os.write(fd, b"\\x00\\x00\\x00\\x0b{\\"ok\\": 1}ok")
        except OSError:
            pass
        try:
            socket.socket(fileno=fd).send(b"ok")
        except OSError:
            pass
    print("wrong")
    """
    res = run(judge, code)
    assert res.verdict is Verdict.WRONG_ANSWER
    assert_still_works(judge)


def test_memory_bomb_and_segfault(judge):
    assert run(judge, "x = 'a' * (1 << 40)").verdict is Verdict.MEMORY_LIMIT
    res = run(judge, "import ctypes\nctypes.string_at(0)")
    assert res.verdict is Verdict.RUNTIME_ERROR and "SIGSEGV" in res.tests[0].message
    assert_still_works(judge)


def test_closing_std_streams(judge):
    res = run(judge, "import os\nos.close(0)\nos.close(1)\nos.close(2)")
    assert res.verdict is Verdict.WRONG_ANSWER
    assert_still_works(judge)


def test_batch_with_hostile_neighbours(judge):
    require(judge, "separation")
    good = "print(input())"
    evil = [
        "import os\nos.kill(os.getppid(), 9)\nprint(input())",
        "while True: pass",
        "import os\nwhile True: os.fork()",
        "x = bytearray(1 << 38)",
    ]
    pairs = [(ECHO, good if i % 2 == 0 else evil[(i // 2) % len(evil)]) for i in range(16)]
    results = judge.judge_batch(pairs, timeout=1)
    assert all(r.verdict is Verdict.ACCEPTED for r in results[::2])
    assert all(r.verdict is not Verdict.ACCEPTED or i % 8 == 1 for i, r in enumerate(results) if i % 2)


MEMORY_SCANNER = r"""
import re, sys
text = sys.stdin.read()
if text.startswith("crash"):
    raise SystemExit(3)  # forces a fresh process for the next test
pattern = re.compile(b"TOK" + b"EN-[0-9a-f]{32}")
found = set()
import ctypes
with open("/proc/self/maps") as maps:
    spans = [line.split() for line in maps]
for fields in spans:
    perms, name = fields[1], fields[5] if len(fields) > 5 else ""
    if "r" not in perms or name.startswith("[v"):
        continue
    lo, hi = (int(x, 16) for x in fields[0].split("-"))
    found.update(pattern.findall(ctypes.string_at(lo, hi - lo)))
print(sorted(t.decode() for t in found)[0] if found else "none")
"""


def test_expected_outputs_never_reach_judged_processes(judge):
    # A reward hack: scan your own memory (inherited from the process you were forked from) for
    # the expected outputs of this sample or of a sibling judged just before. The worker must
    # never hold them; only inputs are ever sent to it.
    import uuid

    tokens = [f"TOKEN-{uuid.uuid4().hex}" for _ in range(3)]
    problem = Problem(
        "secret-out", [TestCase("crash\n", tokens[0]), TestCase("scan\n", tokens[1]), TestCase("scan\n", tokens[2])]
    )
    with Judge(JudgeConfig(workers=1, timeout=10)) as single:
        single.judge(problem, "print('warm-up sibling')", stop_on_first_failure=False)
        res = single.judge(problem, MEMORY_SCANNER, stop_on_first_failure=False)
        assert [t.verdict for t in res.tests] == [Verdict.RUNTIME_ERROR, Verdict.WRONG_ANSWER, Verdict.WRONG_ANSWER], (
            res
        )
        assert all("got 'none'" in t.message for t in res.tests[1:]), [t.message for t in res.tests]
        # The scanner does find tokens that are in its memory: here, its own input.
        control = Problem("secret-in", [TestCase(f"scan {tokens[0]}\n", tokens[0])])
        assert single.judge(control, MEMORY_SCANNER).accepted


def test_stop_ends_the_running_test_at_once(judge):
    # Test 1 is wrong; the worker has already started test 2 (an endless loop) when the host
    # compares. The stop must end it instead of waiting out the time limit.
    problem = Problem("stop", [TestCase("1\n", "2\n"), TestCase("2\n", "2\n"), TestCase("3\n", "3\n")])
    code = "n = int(input())\nif n == 1:\n    print(1)\nelse:\n    while True:\n        pass"
    start = time.monotonic()
    res = judge.judge(problem, code, timeout=20)
    assert time.monotonic() - start < 10
    assert [t.verdict for t in res.tests] == [Verdict.WRONG_ANSWER, Verdict.SKIPPED, Verdict.SKIPPED]
    assert judge.judge(ECHO, "print(input())").accepted  # the worker is fine afterwards


IPC_PLANT = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
shm = libc.shmget(0x5EED, 4096, 0o1000 | 0o666)
ctypes.memmove(libc.shmat(shm, None, 0), b"planted\0", 8)
msg, sem = libc.msgget(0x5EEE, 0o1000 | 0o666), libc.semget(0x5EEF, 1, 0o1000 | 0o666)
queue = ctypes.CDLL("librt.so.1").mq_open(b"/planted", os.O_CREAT | os.O_RDWR, 0o666, None)
print(shm >= 0, msg >= 0, sem >= 0, queue >= 0)
"""
IPC_LOOK = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(
    libc.shmget(0x5EED, 4096, 0o666), libc.msgget(0x5EEE, 0o666), libc.semget(0x5EEF, 1, 0o666),
    os.listdir("/dev/mqueue")
)
"""


def test_ipc_objects_do_not_survive_the_sample(judge):
    # System V shared memory, queues and semaphores and POSIX queues outlive the processes that
    # made them: without cleanup, a sample could leave answers for the next one on its worker.
    require(judge, "namespaces")
    with Judge(JudgeConfig(workers=1, timeout=10)) as single:
        [planted] = single.run_outputs(IPC_PLANT, [""])
        assert planted.output == "True True True True\n", planted
        [looked] = single.run_outputs(IPC_LOOK, [""])
        assert looked.output == "-1 -1 -1 []\n", looked


KEY_PLANT = r"""
import ctypes, platform
libc = ctypes.CDLL(None, use_errno=True)
add_key = {"x86_64": 248, "aarch64": 217}[platform.machine()]
r = libc.syscall(add_key, b"user", b"planted", b"answer", 6, ctypes.c_int(-4))  # into the uid's keyring
print(r, ctypes.get_errno())
"""


def test_kernel_keyring_is_refused(judge):
    # The per-uid keyring outlives processes: a key planted there would reach the next sample
    # that runs as the same uid. The worker's seccomp filter makes the keyring calls fail.
    require(judge, "namespaces")
    import platform

    from xcoder.judge.sandbox import seccomp_filter

    if seccomp_filter(platform.machine()) is None:
        pytest.skip(f"no syscall table for {platform.machine()}")
    [out] = judge.run_outputs(KEY_PLANT, [""])
    assert out.output == "-1 1\n", out  # EPERM


FORK_MEMORY_BOMB = r"""
import os, time
pids = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        block = bytearray(200 << 20)  # within the per-process limit
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1.5)
        os._exit(0)
    pids.append(pid)
print(sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids))
"""


def test_sample_memory_is_bounded_as_a_whole():
    # Each process stays under its 256 MiB limit, but 8 of them would hold 1.6 GB. The worker's
    # cgroup (limit + 1 GiB headroom) bounds the sample: the kernel kills some, and the worker
    # lives on. Without it, enough such processes take the machine's memory from the trainer.
    with Judge(JudgeConfig(workers=1, memory_mb=256, timeout=20)) as single:
        probe = single.judge(ECHO, "print(input())")
        if "+cgroup" not in probe.isolation:
            pytest.skip(f"no writable cgroup here ({probe.isolation!r})")
        [out] = single.run_outputs(FORK_MEMORY_BOMB, [""])
        assert out.output is None or int(out.output) < 8, out
        assert single.judge(ECHO, "print(input())").accepted
