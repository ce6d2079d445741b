"""Runs unit-test files through the worker's ``run_test_file`` with each runner and prints the events.

Used by ``tests/test_judge_unittest_plain.py`` to compare the plain runner with pytest event for
event (the judge's replies carry them too, but a result is all the judge returns). Like the
worker: pytest pre-imported and its config prepared before forking, one forked child per run, fd 3
the status file, fd 0 ``/dev/null``, a fresh scratch directory as working directory and
``sys.path[0]``.

    python tests/unittest_runner_harness.py CASES.json   # [[solution, test module text, exitfirst], ...]

Prints one JSON object: ``{"auto": [run, ...], "pytest": [run, ...]}``, a run being
``{"events": [...], "report": {...}, "exit": code}``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xcoder.judge.worker import prelude, testfile  # noqa: E402

TIMEOUT = 60


def _run(scratch: str, solution: str, test_module: str, exitfirst: bool, runner: str) -> dict:
    status = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        try:
            signal.alarm(TIMEOUT)
            devnull = os.open(os.devnull, os.O_RDONLY)
            out = tempfile.TemporaryFile()
            os.dup2(devnull, 0)
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            os.dup2(status.fileno(), 3)
            os.chdir(scratch)
            sys.path[0:1] = [scratch]
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False, buffering=1)
            report: dict = {"status": "ok"}
            try:
                code = testfile.run_test_file(solution, test_module, scratch, exitfirst, report, runner)
            except BaseException as exc:  # noqa: BLE001 - as the worker's child reports it
                code, report = 1, {"status": "exception", "error": f"{type(exc).__name__}: {exc}"}
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
            os.write(3, ("\n" + json.dumps(report)).encode())
            os._exit(code)
        finally:
            os._exit(70)
    _, wait = os.waitpid(pid, 0)
    status.seek(0)
    lines = [json.loads(line) for line in status.read().decode().splitlines() if line.strip()]
    events = [e for e in lines if "event" in e]
    reports = [e for e in lines if "status" in e]
    return {"events": events, "report": reports[-1] if reports else {}, "exit": os.waitstatus_to_exitcode(wait)}


def main() -> None:
    cases = json.loads(Path(sys.argv[1]).read_text())
    base = tempfile.mkdtemp(prefix="xcoder-harness-")
    scratch = os.path.join(base, "scratch")
    os.mkdir(scratch)
    prelude.preimport_test_runner()
    testfile.prepare(scratch)
    out: dict[str, list] = {"auto": [], "pytest": []}
    try:
        for solution, test_module, exitfirst in cases:
            for runner in out:
                for entry in os.listdir(scratch):
                    shutil.rmtree(os.path.join(scratch, entry), ignore_errors=True)
                    if os.path.exists(os.path.join(scratch, entry)):
                        os.remove(os.path.join(scratch, entry))
                out[runner].append(_run(scratch, solution, test_module, bool(exitfirst), runner))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
