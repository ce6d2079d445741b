"""The plain runner for unit-test files (``unit_test_runner="auto"``) against a pytest session.

A plain file (module-level test functions, nothing else pytest would act on) runs without a
session (``xcoder/judge/worker/plaintests.py``); each corpus case below is run by both runners in
the worker's ``run_test_file`` and must give the same events (node ids, order, outcomes, exception
types, the first line of each message), the same pytest exit status, and here the plain runner
must be the one that ran it. Files pytest would treat differently must fall back to the session,
with the same events. Through the judge, the two settings give the same verdicts, and those agree
with a real ``python -m pytest`` subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from test_judge_unittest import ADD, ADD_WRONG, FEATURES, agree, unit

from xcoder.judge import Judge, JudgeConfig
from xcoder.judge.unittests import solution_test_module

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "unittest_runner_harness.py"

RAISES = "def add(a, b):\n    if a < 0:\n        raise KeyError(a)\n    return a + b\n"
SKIPS = "import pytest\n\ndef add(a, b):\n    pytest.skip('nope')\n"
XFAILS = "import pytest\n\ndef add(a, b):\n    pytest.xfail('nope')\n"
EXITS = "import sys\n\ndef add(a, b):\n    sys.exit(3)\n"
PRINTS = "import sys\n\ndef add(a, b):\n    print('x' * 100_000)\n    print('e' * 999, file=sys.stderr)\n"
PRINTS += "    return a + b\n"
READS = "def add(a, b):\n    return a + int(input() or b)\n"
DEFINES_TESTS = ADD + "\ndef test_free_point():\n    assert True\n\ndef test_shadowed():\n    assert False\n"
SOLUTIONS = {
    "right": ADD,
    "wrong": ADD_WRONG,
    "raises": RAISES,
    "skips": SKIPS,
    "xfails": XFAILS,
    "exits": EXITS,
    "prints": PRINTS,
    "reads": READS,
    "defines_tests": DEFINES_TESTS,
}

# Plain files: the plain runner must run them.
PLAIN = {
    "asserts": """
        def test_small():
            assert add(1, 2) == 3

        def test_zero():
            assert add(0, 0) == 0

        def test_negative():
            assert add(-1, 1) == 0
        """,
    "outcomes": """
        import sys
        import unittest
        import pytest
        from solution import *

        def test_add():
            assert add(2, 2) == 4

        def test_skip():
            pytest.skip("not today")

        def test_xfail():
            pytest.xfail("known")

        def test_fail():
            pytest.fail("no", pytrace=False)

        def test_unittest_skip():
            raise unittest.SkipTest("old style")

        def test_exit():
            sys.exit(0)

        def test_raises_ok():
            with pytest.raises(TypeError):
                add(1, "a")

        def test_does_not_raise():
            with pytest.raises(ValueError):
                add(1, 2)

        def test_returns_value():
            return add(1, 2)

        def test_returns_generator():
            return (x for x in [add(1, 1)])

        def test_after():
            assert add(1, 1) == 2
        """,
    "io": """
        import os
        import sys

        def test_reads_stdin():
            assert sys.stdin.read() == ""

        def test_reads_fd0():
            assert os.read(0, 10) == b""

        def test_prints():
            print("x" * 50_000)
            os.write(1, b"raw")
            print("err", file=sys.stderr)
            assert add(1, 2) == 3

        def test_cwd_and_path():
            assert os.path.exists("solution.py") and sys.path[0] == os.getcwd()

        def test_environment():
            assert os.environ["PYTEST_CURRENT_TEST"] == "test_solution.py::test_environment (call)"
            assert "PYTEST_VERSION" in os.environ
        """,
    "warnings": """
        import logging
        import warnings

        warnings.simplefilter("error")  # (collection's warning filters end with the collection)

        def test_recorded():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                warnings.warn("careful", UserWarning)
            assert len(caught) == 1 and add(1, 1) == 2

        def test_deprecation_shown_not_raised():
            warnings.warn("old", DeprecationWarning)
            assert add(1, 1) == 2

        def test_errors_when_asked():
            warnings.simplefilter("error")
            warnings.warn("boom", UserWarning)

        def test_return_warning_as_error():
            warnings.simplefilter("error")
            return add(1, 1)

        def test_filters_reset_between_tests():
            warnings.warn("fine", UserWarning)

        def test_logging_as_in_a_session():
            logging.basicConfig(level=logging.DEBUG)  # a no-op: pytest's handlers are on the root logger
            logging.warning("hello")
            assert logging.getLogger().level == logging.WARNING
            assert len(logging.getLogger().handlers) == 4
        """,
    "module_level_code": """
        import math

        print("collecting")
        CASES = [(i, i + 1) for i in range(3)]
        test_data = [(1, 2, 3)]  # test-named data: pytest collects callables only
        TOTAL = sum(add(a, b) for a, b in CASES)

        def helper(x):
            return add(x, x)

        def test_total():
            assert TOTAL == 9

        def test_helper():
            assert helper(2) == 4 and math.isclose(add(0.1, 0.2), 0.3)

        def test_a():
            assert add(1, 1) == 2

        test_alias = test_a

        def test_a():  # redefined: one test, where the first definition was, running this body
            assert add(2, 2) == 5
        """,
    "interrupt": """
        def test_first():
            assert add(1, 2) == 3

        def test_interrupt():
            raise KeyboardInterrupt

        def test_never():
            assert True
        """,
    "pytest_exit": """
        import pytest

        def test_first():
            assert add(1, 1) == 2

        def test_exit():
            pytest.exit("bye", returncode=3)

        def test_never():
            assert True
        """,
    "closes_stdout": """
        import sys

        def test_closes():
            assert add(1, 1) == 2
            sys.stdout.close()  # pytest cannot read this test's output, nor resume capturing after it

        def test_after():
            assert add(2, 2) == 4
        """,
    "recursion_and_memory": """
        def deep(n):
            return deep(n + 1)

        def test_recursion():
            deep(0)

        def test_ok():
            assert add(3, 4) == 7
        """,
}

# Files pytest acts on beyond calling the functions: the session runs them.
NOT_PLAIN = {
    "fixture": FEATURES["fixtures"],
    "parametrize": FEATURES["parametrize"],
    "class": FEATURES["classes_and_helpers"],
    "marks": FEATURES["skips_and_xfail"],
    "setup_hooks": """
        CALLS = []

        def setup_module():
            CALLS.append("module")

        def setup_function():
            CALLS.append("function")

        def test_saw_setup():
            assert CALLS == ["module", "function"] and add(1, 1) == 2
        """,
    "pytestmark": """
        import pytest

        pytestmark = pytest.mark.skip(reason="whole module")

        def test_skipped():
            assert add(1, 1) == 3
        """,
    "generate_tests": """
        def pytest_generate_tests(metafunc):
            if "n" in metafunc.fixturenames:
                metafunc.parametrize("n", [1, 2])

        def test_plain():
            assert add(1, 1) == 2
        """,
    "generator_test": """
        def test_gen():
            yield add(1, 1)
        """,
    "dunder_test_off": """
        def test_on():
            assert add(1, 1) == 2

        def test_off():
            assert False

        test_off.__test__ = False
        """,
    "unittest_case": """
        import unittest

        class AddCase(unittest.TestCase):
            def test_add(self):
                self.assertEqual(add(1, 2), 3)

        def test_plain():
            assert add(1, 1) == 2
        """,
    "mark_applied_by_call": """
        import pytest

        def test_plain():
            assert add(1, 1) == 2

        test_plain = pytest.mark.xfail(test_plain)
        """,
}

# Solutions that make a plain file need the session: a Test class or fixture arrives with
# `from solution import *`, or importing the program raises (pytest then reports the collection).
NOT_PLAIN_SOLUTIONS = {
    "test_class": ADD + "\nclass TestFree:\n    def test_more(self):\n        assert True\n",
    "autouse_fixture": "import pytest\n\n@pytest.fixture(autouse=True)\ndef _boom():\n    raise RuntimeError\n\n"
    + "def add(a, b):\n    return a + b\n\nboom = _boom\n",
    "import_error": "import no_such_module_xyz\n\ndef add(a, b):\n    return a + b\n",
    "exit_at_import": "import sys\nsys.exit(0)\n",
    "pytest_exit_at_import": "import pytest\npytest.exit('bye', 0)\n",
    "skip_at_import": "import pytest\npytest.skip('nope')\n",
    "setup_module_imported": ADD + "\ndef setup_module():\n    pass\n",
}


def run_both(cases: list[tuple[str, str, bool]]) -> dict[str, list[dict]]:
    """Each (solution, test file, exitfirst) through ``run_test_file`` with runner auto and pytest."""
    payload = [
        [solution, solution_test_module(textwrap.dedent(tests)), exitfirst] for solution, tests, exitfirst in cases
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "cases.json")
        path.write_text(json.dumps(payload))
        proc = subprocess.run(
            [sys.executable, str(HARNESS), str(path)], capture_output=True, text=True, timeout=600, cwd=ROOT
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def comparable(run: dict) -> tuple:
    events = []
    for event in run["events"]:
        event = {k: v for k, v in event.items() if k != "duration"}
        if "message" in event:
            # The first line: where the failure is reported. A failure raised by the runner itself (a
            # test's return-value warning made an error) is reported in the runner's own code, a file
            # of pytest's or of the plain runner's.
            first = event["message"].split("\n")[0]
            when, _, where = first.partition(": ")
            event["message"] = f"{when}: <the runner>" if where.startswith("/") else first
        events.append(event)
    return events, run["report"].get("pytest_exit"), run["report"].get("status"), run["exit"]


def _cases(files: dict[str, str], solutions: dict[str, str]) -> list[tuple[str, str, str, bool]]:
    out = []
    for fname, text in files.items():
        for sname, solution in solutions.items():
            out.append((f"{fname}-{sname}", solution, text, False))
        out.append((f"{fname}-wrong-exitfirst", ADD_WRONG, text, True))
        out.append((f"{fname}-raises-exitfirst", RAISES, text, True))
    return out


PLAIN_CASES = _cases(PLAIN, SOLUTIONS)
CRASHES_PYTEST = {name for name, *_ in PLAIN_CASES if name.startswith("closes_stdout")}
IMPORT_RAISES = {f"module_level_code-{name}" for name in ("skips", "xfails", "exits", "reads")}
FALLBACK_CASES = _cases(NOT_PLAIN, {"right": ADD, "wrong": ADD_WRONG}) + [
    (f"asserts-{name}", solution, PLAIN["asserts"], False) for name, solution in NOT_PLAIN_SOLUTIONS.items()
]


@pytest.fixture(scope="module")
def differential():
    cases = PLAIN_CASES + FALLBACK_CASES
    runs = run_both([(solution, tests, exitfirst) for _, solution, tests, exitfirst in cases])
    return {name: (runs["auto"][i], runs["pytest"][i]) for i, (name, *_) in enumerate(cases)}


@pytest.mark.parametrize("case", [c[0] for c in PLAIN_CASES])
def test_plain_files_run_without_a_session_with_pytest_s_events(differential, case):
    auto, session = differential[case]
    if case in IMPORT_RAISES:  # the module's own code calls the program, which raises: pytest reports it
        assert auto["report"].get("fallback") == "importing the test module raised", auto["report"]
    else:
        assert auto["report"].get("runner") == "plain", auto["report"]
    if case in CRASHES_PYTEST and session["report"].get("status") == "exception":
        # pytest's own end of session fails on the closed stream (after the same events); the
        # plain runner does not reproduce that crash, which no test's verdict depends on.
        assert comparable(auto)[0] == comparable(session)[0]
        return
    assert session["report"].get("runner") == "pytest"
    assert comparable(auto) == comparable(session)
    assert any(e["event"] == "collected" for e in auto["events"])


@pytest.mark.parametrize("case", [c[0] for c in FALLBACK_CASES])
def test_other_files_fall_back_to_the_session(differential, case):
    auto, session = differential[case]
    assert auto["report"].get("runner") == "pytest" and auto["report"].get("fallback"), auto["report"]
    assert comparable(auto) == comparable(session)


def test_the_corpus_covers_every_outcome(differential):
    outcomes = {
        e.get("outcome") for name, *_ in PLAIN_CASES for e in differential[name][0]["events"] if e["event"] == "result"
    }
    assert outcomes >= {"passed", "failed", "skipped", "xfailed"}
    exceptions = {
        e.get("exception") for name, *_ in PLAIN_CASES for e in differential[name][0]["events"] if e.get("exception")
    }
    assert exceptions >= {"AssertionError", "Failed", "Skipped", "SystemExit", "KeyError", "OSError", "UserWarning"}
    excluded = [e for e in differential["asserts-defines_tests"][0]["events"] if e["event"] == "excluded"]
    assert excluded == [
        {"event": "excluded", "nodeids": ["test_solution.py::test_free_point", "test_solution.py::test_shadowed"]}
    ]
    stopped = differential["interrupt-right"][0]
    assert stopped["report"]["pytest_exit"] == 2 and not any(
        e["event"] == "result" and "interrupt" in e["nodeid"] for e in stopped["events"]
    )


# -- through the judge ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def judges():
    config = JudgeConfig(workers=1, stop_on_first_failure=False, test_file_timeout=20)
    with Judge(config) as auto, Judge(config, unit_test_runner="pytest") as forced:
        yield auto, forced


@pytest.mark.parametrize("fname", sorted(set(PLAIN) - {"recursion_and_memory"}))  # (1e6 frames in the judge)
def test_judge_verdicts_are_the_same_with_either_runner(judges, fname):
    auto, forced = judges
    pairs = [(unit(PLAIN[fname], f"{fname}-{sname}"), solution) for sname, solution in SOLUTIONS.items()]
    for stop in (False, True):
        ours = auto.judge_batch(pairs, stop_on_first_failure=stop)
        theirs = forced.judge_batch(pairs, stop_on_first_failure=stop)
        for (problem, _), a, b in zip(pairs, ours, theirs, strict=True):
            assert (a.verdict, a.passed, a.total) == (b.verdict, b.passed, b.total), (problem.question_id, a, b)
            assert [(t.name, t.verdict) for t in a.tests] == [(t.name, t.verdict) for t in b.tests], problem


@pytest.mark.parametrize(
    "fname, sname",
    [
        ("asserts", "wrong"),
        ("asserts", "raises"),
        ("module_level_code", "right"),
        ("outcomes", "right"),
        ("io", "prints"),
        ("warnings", "right"),
    ],
)
def test_plain_runner_verdicts_agree_with_real_pytest(judges, tmp_path, fname, sname):
    auto, _ = judges
    agree(auto, tmp_path, SOLUTIONS[sname], PLAIN[fname])


def test_the_runner_setting_is_checked():
    with pytest.raises(ValueError, match="unit_test_runner"):
        JudgeConfig(unit_test_runner="fast")
