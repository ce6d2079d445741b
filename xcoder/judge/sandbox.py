"""Starting and talking to sandboxed judge workers.

Isolation, strongest first (recorded in every result as ``isolation``):

* ``namespaces`` — the worker runs under bubblewrap: no network (own net namespace), own pid and
  IPC namespaces (nothing outlives a sample: the worker kills everything else in it and removes
  IPC objects), a read-only view of only the system directories and the interpreter's
  installation, a private ``/tmp``, no inherited environment, capabilities dropped to what the
  worker needs, and a seccomp filter refusing the kernel keyring.
* ``rlimits`` — no usable namespaces (many containers): resource limits, process-group and
  subreaper cleanup, a scratch directory as working directory, and a scrubbed environment. A
  warning is logged once.

Either way, where cgroups are writable each worker and its descendants share a memory and pids
cgroup (``cgroup.py``, ``+cgroup``), and when the judge runs as root each worker gets a private
uid that judged programs drop to (``+uid``): they then cannot signal or trace the judge, cannot
write files the host owns, and a fork storm hits a per-uid process limit instead of the machine's.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import platform
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from xcoder.judge.cgroup import WorkerCgroup
from xcoder.judge.worker.protocol import read_message, write_message

log = logging.getLogger("xcoder.judge")

# The worker package: the only part of the checkout the sandbox exposes; its ``__main__.py`` is run by path.
WORKER_DIR = Path(__file__).with_name("worker")
WORKER_MAIN = WORKER_DIR / "__main__.py"
UID_BASE = 61000  # private uids for judged programs: UID_BASE .. UID_BASE + UID_COUNT - 1
UID_COUNT = 512
CGROUP_HEADROOM_MB = 1024  # the worker itself, and a sample's other processes and files
SANDBOX_KINDS = ("auto", "bwrap", "none")
# Passed through to judged programs: locale, and the OpenBLAS settings some CPUs need to run numpy.
_PASS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class WorkerError(RuntimeError):
    """The worker could not be started or stopped answering."""


class WorkerDied(WorkerError):
    """The worker process exited while handling a request."""


def child_env() -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.update({k: os.environ[k] for k in _PASS_ENV if k in os.environ})
    return env


def _is_root() -> bool:
    return os.geteuid() == 0


# What judged programs see of the host, read-only: the system, and below the interpreter's own
# installation. Everything else (checkouts, datasets with their tests, checkpoints, home
# directories, /tmp, /run, /var, /opt, /mnt...) does not exist for them.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")


@cache
def _needed_paths(python: str) -> tuple[str, ...]:
    """What the worker's interpreter must read: its installation and venv (asked of the
    interpreter itself, which may not be ours), and the worker package. A checkout or venv may
    well live under /tmp or $HOME; project paths that only an editable install adds are left out."""
    probe = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, sys.executable]))"
    try:
        out = subprocess.run(
            [python, "-E", "-s", "-c", probe], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        prefixes = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix]
    needed = {os.path.realpath(p) for p in prefixes if p} | {os.path.realpath(python), str(WORKER_DIR.resolve())}
    return tuple(sorted(needed))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _bwrap_args(python: str) -> list[str]:
    args = [
        "bwrap",
        "--die-with-parent",
        "--new-session",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--dev",
        "/dev",
        "--mqueue",
        "/dev/mqueue",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
        "--clearenv",
        "--chdir",
        "/tmp",
    ]
    system = []
    for directory in SYSTEM_DIRS:
        if os.path.islink(directory):
            args += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            args += ["--ro-bind", directory, directory]
            system.append(directory)
    # Re-expose, read-only, what the interpreter needs from outside the system directories.
    binds = [p for p in _needed_paths(python) if os.path.exists(p) and not any(_under(p, d) for d in system)]
    made: set[str] = {"/", "/tmp"}
    for path in binds:
        if any(_under(path, b) for b in binds if b != path):
            continue
        # bwrap would create the parents 0700, unreadable once programs drop to their uid.
        chain, parent = [], os.path.dirname(path)
        while parent not in made:
            chain.append(parent)
            parent = os.path.dirname(parent)
        for directory in reversed(chain):
            args += ["--perms", "0755", "--dir", directory]
            made.add(directory)
        args += ["--ro-bind", path, path]
    if _is_root():
        args += ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER"):
            args += ["--cap-add", cap]
    else:
        args += ["--unshare-user"]
    for key, value in child_env().items():
        args += ["--setenv", key, value]
    return args


# Syscalls judged code may not make, per architecture: (audit arch, syscall numbers). The kernel
# keyring calls: a key added to the per-uid keyring outlives the sample and would carry data to
# the next one on the same worker. They fail with EPERM, as where keyrings are disabled.
_DENIED_SYSCALLS = {
    "x86_64": (0xC000003E, (248, 249, 250)),  # add_key, request_key, keyctl
    "aarch64": (0xC00000B7, (217, 218, 219)),
}


def seccomp_filter(machine: str | None = None) -> bytes | None:
    """The classic-BPF seccomp program bwrap installs (``--seccomp FD``), or None on an
    architecture we have no syscall table for."""
    spec = _DENIED_SYSCALLS.get(machine or platform.machine())
    if spec is None:
        return None
    arch, calls = spec
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
    checks = ([(jge, 0x40000000)] if arch == 0xC000003E else []) + [(jeq, nr) for nr in calls]  # x32 ABI too
    # Another ABI (32-bit int 0x80 on x86_64) has other numbers: refuse it outright.
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, deny), (ld, 0, 0, 0)]
    deny_at = len(prog) + len(checks) + 1
    for op, k in checks:
        prog.append((op, deny_at - (len(prog) + 1), 0, k))
    prog += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    return b"".join(struct.pack("=HBBI", *insn) for insn in prog)


def _seccomp_fd() -> int | None:
    program = seccomp_filter()
    if program is None:
        return None
    fd = os.memfd_create("xcoder-seccomp", 0)
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _run_bwrap(python: str, argv: list[str], seccomp: bool, wrap=lambda cmd: cmd, **popen) -> subprocess.Popen:
    """Start ``argv`` under bubblewrap (with the seccomp filter when asked); ``wrap`` may put
    a launcher in front of bwrap."""
    fd = _seccomp_fd() if seccomp else None
    try:
        extra = ["--seccomp", str(fd)] if fd is not None else []
        cmd = wrap([*_bwrap_args(python), *extra, "--", *argv])
        return subprocess.Popen(cmd, pass_fds=(fd,) if fd is not None else (), **popen)
    finally:
        if fd is not None:
            os.close(fd)


@cache
def _bwrap_mode(python: str) -> str | None:
    """ "seccomp" if bubblewrap works here with our syscall filter, "plain" if only without it,
    None if not at all."""
    if not shutil.which("bwrap"):
        return None
    for mode in ("seccomp", "plain"):
        try:
            proc = _run_bwrap(
                python,
                [python, "-E", "-s", "-c", "pass"],
                mode == "seccomp",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, err = proc.communicate(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if proc.returncode == 0:
            return mode
        log.debug("bwrap probe (%s) failed: %s", mode, err.decode(errors="replace").strip())
    return None


def _bwrap_works(python: str) -> bool:
    return _bwrap_mode(python) is not None


_warned = False


def resolve_sandbox(kind: str, python: str) -> str:
    """Pick ``bwrap`` or ``none`` for the requested kind; warn once when falling back."""
    global _warned
    if kind not in SANDBOX_KINDS:
        raise ValueError(f"unknown sandbox {kind!r}; choose one of {', '.join(SANDBOX_KINDS)}")
    if kind == "none":
        return "none"
    if _bwrap_works(python):
        return "bwrap"
    if kind == "bwrap":
        raise WorkerError("sandbox='bwrap' requested but bubblewrap is missing or cannot create namespaces here")
    if not _warned:
        _warned = True
        log.warning(
            "xcoder judge: bubblewrap namespaces unavailable; falling back to rlimits-only isolation "
            "(judged code can reach the network and write where the user can). Install bubblewrap "
            "(apt-get install bubblewrap) for full isolation."
        )
    return "none"


def interpreter_world_readable(python: str) -> bool:
    """Programs that drop to a private uid can only import what 'others' may read."""
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(python)))}
    roots |= {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p) and "site-packages" in p}
    for root in roots:
        path = root
        while True:
            try:
                mode = os.stat(path).st_mode
            except OSError:
                return False
            if not mode & 0o001 or (path == root and not mode & 0o004):
                return False
            if path == "/":
                break
            path = os.path.dirname(path)
    return True


class UidLease:
    """A private uid for one worker, held by an flock so concurrent judges (in other processes
    too) never share one; the lock dies with the process that holds it."""

    def __init__(self) -> None:
        lock_dir = Path(tempfile.gettempdir()) / "xcoder-judge-uids"
        lock_dir.mkdir(mode=0o755, exist_ok=True)
        for uid in range(UID_BASE, UID_BASE + UID_COUNT):
            fd = os.open(lock_dir / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise WorkerError(f"all {UID_COUNT} judge uids are in use")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass
class WorkerSpec:
    sandbox: str = "auto"
    python: str = sys.executable
    start_timeout: float = 60.0
    memory_mb: int = 4096
    """Per program; the worker's cgroup allows this plus CGROUP_HEADROOM_MB for all of a sample."""
    max_processes: int = 64


class Worker:
    """One zygote process and the pipe protocol to it. Not thread-safe: one user at a time."""

    def __init__(self, spec: WorkerSpec):
        self.kind = resolve_sandbox(spec.sandbox, spec.python)
        # Without bwrap's private view of $HOME, a private uid needs a world-readable Python.
        private_uid = _is_root() and (self.kind == "bwrap" or interpreter_world_readable(spec.python))
        self._lease = UidLease() if private_uid else None
        self._tmpdir: str | None = None
        uid = self._lease.uid if self._lease else None
        if self.kind == "bwrap":
            scratch = "/tmp/.xcoder-scratch"
            cmd = [spec.python, "-E", "-s", str(WORKER_MAIN)]
            env = None
        else:
            self._tmpdir = tempfile.mkdtemp(prefix="xcoder-judge-")
            os.chmod(self._tmpdir, 0o755)
            scratch = os.path.join(self._tmpdir, "work")
            cmd = [spec.python, "-E", "-s", str(WORKER_MAIN)]
            env = child_env()
        cmd += ["--scratch", scratch, "--env", json.dumps(child_env())]
        if uid is not None:
            cmd += ["--uid", str(uid)]
        if self.kind == "bwrap":
            cmd.append("--pidns")
        self._stderr = tempfile.TemporaryFile()
        self._cgroup = WorkerCgroup((spec.memory_mb + CGROUP_HEADROOM_MB) << 20, spec.max_processes + 16)
        try:
            popen = dict(
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                cwd=self._tmpdir or "/",
                close_fds=True,
                start_new_session=True,
            )
            if self.kind == "bwrap":
                self.proc = _run_bwrap(
                    spec.python, cmd, _bwrap_mode(spec.python) == "seccomp", self._cgroup.wrap, **popen
                )
            else:
                self.proc = subprocess.Popen(self._cgroup.wrap(cmd), **popen)
            hello = read_message(self.proc.stdout.fileno(), time.monotonic() + spec.start_timeout)
        except (OSError, EOFError, TimeoutError, ValueError) as exc:
            self.close()
            raise WorkerError(f"judge worker failed to start: {exc}; stderr: {self.stderr_tail()}") from None
        if self._cgroup.active and not self._cgroup.holds(self.proc.pid):
            log.debug("judge worker could not join its cgroup; running without one")
            self._cgroup.close()
        self.uid = hello.get("uid")
        if self._lease and self.uid is None:
            self._lease.release()
        self.isolation = (
            ("namespaces" if self.kind == "bwrap" else "rlimits")
            + ("+cgroup" if self._cgroup.active else "")
            + ("+uid" if self.uid is not None else "")
        )

    def call(self, msg: dict, timeout: float) -> dict:
        """Send one request and wait for its answer; a stuck or dead worker raises."""
        self.send(msg)
        return self.receive(timeout)

    def send(self, msg: dict) -> None:
        if self.proc.poll() is not None:
            raise WorkerDied(f"judge worker exited with {self.proc.returncode}")
        try:
            write_message(self.proc.stdin.fileno(), msg)
        except BrokenPipeError as exc:
            self._died(exc)

    def receive(self, timeout: float) -> dict:
        """The worker's next message (an answer, or one result of a stream)."""
        try:
            return read_message(self.proc.stdout.fileno(), time.monotonic() + timeout)
        except EOFError as exc:
            self._died(exc)
        except TimeoutError:
            self.close()
            raise WorkerError(f"judge worker did not answer within {timeout:.0f}s") from None

    def _died(self, exc: BaseException) -> None:
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.close()
        raise WorkerDied(
            f"judge worker died ({exc}; exit {self.proc.returncode}); stderr: {self.stderr_tail()}"
        ) from None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr_tail(self, limit: int = 2000) -> str:
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - limit))
            return self._stderr.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""

    def kill(self) -> None:
        """Kill the worker and what it runs, from another thread than its user's: the pipes stay
        open so the user sees the worker die and then closes it."""
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()

    def close(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
        if self.kind == "none" and self._lease is not None and getattr(self, "uid", None) is not None:
            _kill_uid(self._lease.uid)
        if self._lease is not None:
            self._lease.release()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        cgroup = getattr(self, "_cgroup", None)
        if cgroup is not None:
            cgroup.close()


def _kill_uid(uid: int) -> None:
    """Without a pid namespace, judged programs may outlive their worker; as root we can still
    reach every process of the worker's private uid."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
