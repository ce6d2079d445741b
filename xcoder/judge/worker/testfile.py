"""Running a unit-test file with pytest inside the warm child (the ``pytest`` mode).

The program is saved as ``solution.py`` and the test file as ``test_solution.py`` beside it in the
scratch directory, and pytest runs the file in-process, as ``pytest test_solution.py`` would in
that directory (KodCode's layout), isolated from any configuration file (``-c /dev/null``) and
from installed plugins. pytest itself was imported by the worker before forking
(``prelude.TEST_RUNNER_MODULES``), so a file costs a pytest session, not an interpreter start and
pytest's import.

Results travel as JSON lines on the status descriptor (fd 3) as they happen: the collected node
ids, each test's start and outcome, collection errors. A test that hangs or kills the process
therefore leaves everything before it on record; the host (``xcoder/judge/unittests.py``) turns
the lines into verdicts.
"""

from __future__ import annotations

import json
import os
import sys

SOLUTION = "solution"
TEST_MODULE = "test_solution"
STATUS_FD = 3


def _emit(event: dict) -> None:
    os.write(STATUS_FD, (json.dumps(event) + "\n").encode("utf-8", "surrogatepass"))


def _text(longrepr, limit: int = 3000) -> str:
    try:
        text = str(longrepr)
    except Exception:  # noqa: BLE001 - a repr the program broke
        text = "<unprintable failure report>"
    return text if len(text) <= limit else "..." + text[-limit:]


def _from_solution(item) -> bool:
    """A test that ``from solution import *`` brought in: the program defined it, so it does
    not count (it could pass trivially, or turn a file without tests into a passing one)."""
    try:
        owner = getattr(item, "cls", None) or getattr(item, "function", None)
    except Exception:  # noqa: BLE001
        return False
    return getattr(owner, "__module__", None) == SOLUTION


class _Reporter:
    """A pytest plugin (hook names and argument names are pytest's) that reports on fd 3."""

    def __init__(self) -> None:
        self.state: dict[str, dict] = {}
        self.exc_types: dict[str, str] = {}

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            _emit({"event": "collect_error", "nodeid": report.nodeid, "message": _text(report.longrepr)})

    def pytest_collection_modifyitems(self, session, config, items) -> None:
        foreign = [item for item in items if _from_solution(item)]
        if foreign:
            items[:] = [item for item in items if not _from_solution(item)]
            config.hook.pytest_deselected(items=foreign)
            _emit({"event": "excluded", "nodeids": [item.nodeid for item in foreign]})

    def pytest_collection_finish(self, session) -> None:
        _emit({"event": "collected", "nodeids": [item.nodeid for item in session.items]})

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        self.state[nodeid] = {"outcome": "passed", "duration": 0.0, "message": "", "exception": ""}
        _emit({"event": "start", "nodeid": nodeid})

    def pytest_exception_interact(self, node, call, report) -> None:
        excinfo = getattr(call, "excinfo", None)
        if excinfo is not None:
            self.exc_types[node.nodeid] = excinfo.type.__name__

    def pytest_runtest_logreport(self, report) -> None:
        state = self.state.setdefault(
            report.nodeid, {"outcome": "passed", "duration": 0.0, "message": "", "exception": ""}
        )
        state["duration"] += float(getattr(report, "duration", 0.0) or 0.0)
        when, wasxfail = report.when, hasattr(report, "wasxfail")
        if report.failed:
            if when == "call":
                state["outcome"] = "failed"
            elif state["outcome"] in ("passed", "skipped", "xfailed", "xpassed"):
                state["outcome"] = "error"  # setup (a fixture raised, or is missing) or teardown
            state["message"] = state["message"] or f"{when}: {_text(report.longrepr)}"
        elif report.skipped:
            where = report.longrepr[0] if isinstance(report.longrepr, tuple) and report.longrepr else ""
            if os.path.basename(str(where)) == SOLUTION + ".py":
                # pytest.skip() called by the program: it must not turn a test into a pass.
                state.update(
                    outcome="failed",
                    exception="Skipped",
                    message=f"the program skipped the test: {_text(report.longrepr[-1])}",
                )
            else:
                state["outcome"] = "xfailed" if wasxfail else "skipped"
                reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
                state["message"] = _text(reason)
        elif when == "call" and wasxfail:
            state["outcome"] = "xpassed"
        if when == "teardown":
            self._finish(report.nodeid, state)

    def _finish(self, nodeid: str, state: dict) -> None:
        if state["outcome"] in ("failed", "error") and not state["exception"]:
            state["exception"] = self.exc_types.get(nodeid, "")
        _emit({"event": "result", "nodeid": nodeid, **state})


def run_test_file(source: str, test_file: str, scratch: str, exitfirst: bool, report: dict) -> int:
    """Write the two files and run pytest on them; returns the exit code for the child to use,
    and leaves pytest's own exit status in ``report["pytest_exit"]``."""
    pytest = sys.modules.get("pytest")
    if pytest is None:
        report.update(status="setup_error", error="pytest is not installed in the judge's interpreter")
        return 1
    for name, text in ((SOLUTION, source), (TEST_MODULE, test_file)):
        with open(os.path.join(scratch, name + ".py"), "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
    for name in (SOLUTION, TEST_MODULE):
        sys.modules.pop(name, None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.dont_write_bytecode = True
    args = [
        TEST_MODULE + ".py",
        "-c",
        os.devnull,
        "--rootdir",
        scratch,
        "-p",
        "no:cacheprovider",
        "--basetemp",
        os.path.join(scratch, ".pytest-tmp"),
        "-q",
        "--no-header",
        "--tb=short",
    ]
    if exitfirst:
        args.append("-x")
    code = pytest.main(args, plugins=[_Reporter()])
    report["pytest_exit"] = int(code)
    return 0
