"""The unit-test problem kind on the host side: the test file as the worker runs it, and the
verdicts of the tests pytest collected from it.

The worker runs ``test_solution.py`` with pytest beside the program saved as ``solution.py``
(``worker/testfile.py``) and reports events; here each collected test (each parametrized case)
becomes one :class:`TestResult` named by its pytest node id, so the pass fraction is the fraction
of tests passed. The sample is accepted when pytest would exit 0: every test passed (skips and
xfails included, as pytest counts them) and at least one test was collected.

Whose fault: the program's faults are verdicts (a collection error caused by the program, a
failing or erroring test, a hang, a crash); the data's are judge errors naming the problem (a
test file that does not parse, that imports a module the judge's interpreter lacks, that has no
tests).
"""

from __future__ import annotations

import ast
import re

from xcoder import pyast
from xcoder.judge.result import TestResult, Verdict

IMPORT_SOLUTION = "from solution import *"
TEST_FILE_NAME = "test_solution.py"

# Outcomes of the worker's reporter, and what they count as.
_PASSING = {"passed": "", "xpassed": "xpassed", "skipped": "skipped", "xfailed": "xfailed"}
# Failed: pytest.fail, pytest.raises' DID NOT RAISE; Skipped/XFailed: a skip or xfail the program raised
_WRONG_ANSWER_EXCEPTIONS = {"AssertionError", "Failed", "Skipped", "XFailed"}
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")


class TestFileError(ValueError):
    """The problem's test file cannot be run (the data's fault, not the program's)."""

    __test__ = False


def solution_test_module(test_file: str) -> str:
    """The text of ``test_solution.py``: the test file with ``from solution import *`` in front.

    KodCode's pipeline prepends it to every test file, whether or not the file imports from
    solution already (harmless: the file's own imports run after it). It goes after a module
    docstring and ``from __future__`` imports, which Python requires first.
    """
    try:
        tree = pyast.parse(test_file, TEST_FILE_NAME)
    except (SyntaxError, ValueError) as exc:
        raise TestFileError(f"the test file does not parse ({type(exc).__name__}: {exc})") from None
    after = 0
    for i, node in enumerate(tree.body):
        docstring = (
            i == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        after = node.end_lineno or after
    lines = test_file.split("\n")
    return "\n".join(lines[:after] + [IMPORT_SOLUTION] + lines[after:])


def imported_modules(test_file: str) -> set[str]:
    """Top-level names of the modules the test file imports itself (at any depth)."""
    names: set[str] = set()
    try:
        tree = pyast.parse(test_file)
    except (SyntaxError, ValueError):
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def defines_tests(test_file: str) -> bool:
    """Whether the file itself defines something pytest collects by name: a module-level
    ``test*`` function (or name) or ``Test*`` class, or a class deriving from another (a
    ``unittest.TestCase``, whatever its name)."""
    try:
        tree = pyast.parse(test_file)
    except (SyntaxError, ValueError):
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            return True
        if isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or node.bases):
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.startswith("test") for t in node.targets
        ):
            return True
    return False


def _passing_result(outcome: str, event: dict) -> TestResult:
    note = _PASSING[outcome]
    message = f"{note}: {event.get('message', '')}".rstrip(": ") if note else ""
    return TestResult(Verdict.ACCEPTED, float(event.get("duration", 0.0)), "", message, event["nodeid"])


def _failing_result(event: dict) -> TestResult:
    exception = event.get("exception", "")
    if event.get("outcome") == "error":
        verdict = Verdict.RUNTIME_ERROR
    elif exception == "MemoryError":
        verdict = Verdict.MEMORY_LIMIT
    elif exception in _WRONG_ANSWER_EXCEPTIONS:
        verdict = Verdict.WRONG_ANSWER
    else:
        verdict = Verdict.RUNTIME_ERROR
    return TestResult(verdict, float(event.get("duration", 0.0)), "", event.get("message", ""), event["nodeid"])


def results_of_run(reply: dict, failure: TestResult, test_file: str) -> list[TestResult]:
    """One result per collected test from the worker's reply to the test file's run.

    ``failure`` is the verdict of the run itself when it did not end normally (timeout, crash,
    memory; ACCEPTED when it did): the test that was running gets it. Raises
    :class:`TestFileError` when the test file, not the program, is at fault.
    """
    events = reply.get("events", [])
    collected: list[str] | None = None
    finished: dict[str, dict] = {}
    started: list[str] = []
    collect_errors: list[dict] = []
    for event in events:
        kind = event.get("event")
        if kind == "collected":
            collected = [str(n) for n in event.get("nodeids", [])]
        elif kind == "result":
            finished[str(event.get("nodeid"))] = event
        elif kind == "start":
            started.append(str(event.get("nodeid")))
        elif kind == "collect_error":
            collect_errors.append(event)
    if collect_errors:
        text = "\n".join(str(e.get("message", "")) for e in collect_errors)
        missing = {m.split(".")[0] for m in _MISSING_MODULE.findall(text)}
        lacking = sorted((missing & imported_modules(test_file)) - {"solution"})
        if lacking:
            raise TestFileError(
                f"the test file imports {', '.join(map(repr, lacking))}, which the judge's interpreter lacks"
            )
        return [
            TestResult(
                Verdict.RUNTIME_ERROR,
                failure.time,
                failure.stderr,
                f"collecting the tests failed: {text[-3000:]}",
                TEST_FILE_NAME,
            )
        ]
    if collected is None:
        if failure.verdict is Verdict.ACCEPTED:  # ended normally without collecting: pytest refused
            message = f"pytest did not collect the tests (exit status {reply.get('pytest_exit')})"
            return [TestResult(Verdict.RUNTIME_ERROR, failure.time, failure.stderr, message, TEST_FILE_NAME)]
        why = "timed out" if failure.verdict is Verdict.TIME_LIMIT else "failed"
        return [
            TestResult(
                failure.verdict,
                failure.time,
                failure.stderr,
                f"{why} while collecting the tests (importing the program or the test file): {failure.message}",
                TEST_FILE_NAME,
            )
        ]
    if not collected:
        if not defines_tests(test_file):
            raise TestFileError("the test file has no tests (no test function or Test class)")
        # The file has tests, yet pytest ended with none: the program's import stopped it.
        return [
            TestResult(
                failure.verdict if failure.verdict is not Verdict.ACCEPTED else Verdict.RUNTIME_ERROR,
                failure.time,
                failure.stderr,
                "pytest collected no tests (exit status "
                f"{reply.get('pytest_exit')}): importing the program ended the session",
                TEST_FILE_NAME,
            )
        ]
    results: list[TestResult] = []
    failed = False
    for nodeid in collected:
        event = finished.get(nodeid)
        if event is not None:
            outcome = event.get("outcome")
            result = _passing_result(outcome, event) if outcome in _PASSING else _failing_result(event)
        elif nodeid in started or not failed:
            # The test that was running when the run ended, or the first one never reached.
            if failure.verdict is not Verdict.ACCEPTED:
                message = failure.message
                if nodeid not in started:
                    message = f"not run: the run ended before this test ({failure.message})"
                result = TestResult(failure.verdict, 0.0, failure.stderr, message, nodeid)
            else:
                result = TestResult(
                    Verdict.RUNTIME_ERROR,
                    0.0,
                    "",
                    f"not run: the pytest session ended before this test (exit status {reply.get('pytest_exit')})",
                    nodeid,
                )
        else:
            why = "the run ended earlier" if failure.verdict is not Verdict.ACCEPTED else "an earlier test failed"
            result = TestResult(Verdict.SKIPPED, 0.0, "", f"not run: {why}", nodeid)
        failed = failed or result.verdict not in (Verdict.ACCEPTED, Verdict.SKIPPED)
        results.append(result)
    return results
