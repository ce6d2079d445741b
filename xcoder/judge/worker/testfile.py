"""Running a unit-test file with pytest inside the warm child (the ``pytest`` mode).

The program is saved as ``solution.py`` and the test file as ``test_solution.py`` beside it in the
scratch directory, and pytest runs the file in-process, as ``pytest test_solution.py`` would in
that directory (KodCode's layout), isolated from any configuration file (``-c /dev/null``) and
from installed plugins. pytest itself was imported by the worker before forking
(``prelude.TEST_RUNNER_MODULES``), so a file costs a pytest session, not an interpreter start and
pytest's import.

A plain file (module-level test functions, a literal ``parametrize`` on one, plain ``Test*``
classes; nothing else pytest would act on) runs without a session by default (``plaintests.py``,
``JudgeConfig.unit_test_runner="auto"``), with the same events; any other file, or every file with
``"pytest"``, runs in the session described here.

Results travel as JSON lines on the status descriptor (fd 3) as they happen: the collected node
ids, each test's start and outcome, collection errors. A test that hangs or kills the process
therefore leaves everything before it on record; the host (``xcoder/judge/unittests.py``) turns
the lines into verdicts.
"""

from __future__ import annotations

import json
import os
import sys

from . import plaintests

SOLUTION = plaintests.SOLUTION
_text = plaintests.report_text
TEST_MODULE = "test_solution"
STATUS_FD = 3


def _emit(event: dict) -> None:
    os.write(STATUS_FD, (json.dumps(event) + "\n").encode("utf-8", "surrogatepass"))


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
        self.program_made: set[str] = set()

    def pytest_runtest_makereport(self, item, call) -> None:
        """Notes a skip or xfail the program raised (``plaintests.program_made_outcome``). Marked
        ``tryfirst`` by :func:`_mark_hooks`: pytest's unittest plugin, also first, replaces a
        ``unittest.SkipTest`` with its own skip, and the program's frames with it."""
        excinfo = getattr(call, "excinfo", None)
        if excinfo is not None and plaintests.program_made_outcome(excinfo.value):
            self.program_made.add(item.nodeid)

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
        elif report.skipped and report.nodeid in self.program_made:
            kind = "XFailed" if wasxfail else "Skipped"  # (the plain runner's names)
            what = "marked the test an expected failure" if wasxfail else "skipped the test"
            reason = report.wasxfail if wasxfail else report.longrepr
            reason = reason[-1] if isinstance(reason, tuple) else reason
            state.update(outcome="failed", exception=kind, message=f"the program {what}: {_text(reason)}")
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


# Plugins that only add command-line options these runs never pass (``--pastebin``,
# ``--setup-only``/``--setup-plan``/``--setup-show``, ``--stepwise``; the last also needs the cache,
# which is off): without them a session registers, configures and scans fewer plugins, and no
# test's outcome can change.
_UNUSED_PLUGINS = ("cacheprovider", "pastebin", "setuponly", "setupplan", "stepwise")

# What ``prepare`` built in the worker before forking, per ``exitfirst``: (the plugin manager's
# config as ``pytest.main`` would start from, its args, the reporter); each forked child takes a copy.
_prepared: dict[bool, tuple] = {}


def _args(scratch: str, exitfirst: bool) -> list[str]:
    args = [
        TEST_MODULE + ".py",
        "-c",
        os.devnull,
        "--rootdir",
        scratch,
        # The collection starts at the scratch directory, not at its parents (which the
        # default, the ini file's directory /dev, would walk up to: a scan of the host's /tmp
        # without the sandbox, and any conftest.py there loaded); node ids are unchanged.
        "--confcutdir",
        scratch,
    ]
    for name in _UNUSED_PLUGINS:
        args += ["-p", "no:" + name]
    args += ["--basetemp", os.path.join(scratch, ".pytest-tmp"), "-q", "--no-header", "--tb=short"]
    if exitfirst:
        args.append("-x")
    return args


def _mark_hooks() -> None:
    """Mark the reporter's ``pytest_runtest_makereport`` ``tryfirst`` with the pre-imported
    pytest's own marker (this module imports nothing outside the worker's list by name)."""
    pytest = sys.modules.get("pytest")
    hook = _Reporter.pytest_runtest_makereport
    if pytest is not None and not hasattr(hook, "pytest_impl"):
        pytest.hookimpl(tryfirst=True)(hook)


def prepare(scratch: str) -> None:
    """In the worker, before any fork: do the part of ``pytest.main`` that depends on nothing
    but the arguments, which are the same for every sample (the scratch directory is the
    worker's), so that each child starts its session from a copy instead of building it.

    That part is ``_pytest.config.get_config``: a plugin manager with pytest's default plugins
    registered and a ``Config`` around it, invoked from the scratch directory. It reads no file,
    starts no capture and runs no judged code; the rest of ``pytest.main`` (option parsing,
    rootdir, capture, the session) runs in the child as before. Without a pytest that has it,
    children run ``pytest.main`` from scratch."""
    config_module = sys.modules.get("_pytest.config")
    get_config = getattr(config_module, "get_config", None)
    if get_config is None or not os.path.isdir(scratch):
        return
    _mark_hooks()
    here = os.getcwd()  # (the environment stays as it is: every judged program inherits it)
    try:
        os.chdir(scratch)  # get_config records the working directory as the invocation's
        for exitfirst in (False, True):
            args, reporter = _args(scratch, exitfirst), _Reporter()
            _prepared[exitfirst] = (get_config(args, [reporter], prog="pytest.main()"), args, reporter)
    except Exception:  # noqa: BLE001 - an incompatible pytest: children build their own
        _prepared.clear()
    finally:
        os.chdir(here)


def run_test_file(
    source: str, test_file: str, scratch: str, exitfirst: bool, report: dict, runner: str = "auto"
) -> int:
    """Write the two files and run the tests; returns the exit code for the child to use, and
    leaves pytest's own exit status in ``report["pytest_exit"]`` (what pytest's would be, when the
    plain runner ran them) and which runner ran them in ``report["runner"]``.

    ``runner``: ``auto`` runs a plain file with ``plaintests`` (no pytest session) and any other in
    a pytest session (``report["fallback"]`` says why); ``pytest`` always runs a session."""
    pytest = sys.modules.get("pytest")
    if pytest is None:
        report.update(status="setup_error", error="pytest is not installed in the judge's interpreter")
        return 1
    paths = {}
    for name, text in ((SOLUTION, source), (TEST_MODULE, test_file)):
        paths[name] = os.path.join(scratch, name + ".py")
        with open(paths[name], "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
    for name in (SOLUTION, TEST_MODULE):
        sys.modules.pop(name, None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.dont_write_bytecode = True
    if runner == "auto":
        why = plaintests.run(paths[TEST_MODULE], exitfirst, _emit, report)
        if why is None:
            report["runner"] = "plain"
            return 0
        report["fallback"] = why
    report["runner"] = "pytest"
    _mark_hooks()
    args, reporter = _args(scratch, exitfirst), _Reporter()
    prepared = _prepared.get(exitfirst)
    if prepared is not None and prepared[1] == args:
        # This process is the one session: pytest.main takes the worker's prepared config
        # (built by the same call with the same arguments) instead of building it again.
        config, args, reporter = prepared
        config_module = sys.modules["_pytest.config"]
        original = config_module.get_config

        def get_config_once(*_args, **_kwargs):
            config_module.get_config = original  # a test calling pytest.main gets a fresh one
            return config

        config_module.get_config = get_config_once
    code = pytest.main(args, plugins=[reporter])
    report["pytest_exit"] = int(code)
    return 0
