"""The plain runner for unit-test files (``unit_test_runner="auto"``) against a pytest session.

A plain file (module-level test functions, a literal ``parametrize`` on one, plain ``Test*``
classes; nothing else pytest would act on) runs without a session
(``xcoder/judge/worker/plaintests.py``); each corpus case below is run by both runners in
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

# Parametrized files the plain runner also takes: one ``parametrize`` mark per test function with
# literal values (ints, floats, strings, bools, None, tuples and lists of them), no options, the
# function taking exactly its names. Node ids are pytest's (its own id maker).
PARAMETRIZED = {
    "param_add": """
        import pytest

        @pytest.mark.parametrize("a,b,expected", [(1, 2, 3), (2, 2, 4), (5, -5, 0), (-1, 4, 3), (0, 0, 0)])
        def test_add(a, b, expected):
            assert add(a, b) == expected
        """,
    "param_ids": r"""
        import pytest

        @pytest.mark.parametrize(
            "value",
            [
                "plain", "with space", "", "caf\u00e9", "tab\there", "new\nline", "quote'\"", "back\\slash",
                "a::b[c]/d", "\x00nul", "\U0001F600", "LONG100", "LONG101",
                1.5, -0.0, 0.1, 1e300, 3.0,
                True, False, None,
                0, -7, 12345678901234567890,
                (1, 2), [1, [2]], ("x",), [], (),
            ],
        )
        def test_value(value):
            assert add(value, value) == value * 2

        @pytest.mark.parametrize("n", [1, 1, "1", 10, "10", 1, 2, "1_0", True, 1.0, "True"])
        def test_duplicates(n):
            assert add(n, n) == n + n
        """.replace("LONG100", "y" * 100).replace("LONG101", "z" * 101),
    "param_names": """
        import pytest

        @pytest.mark.parametrize("x", [1, 2, -3])
        def test_single_name(x):
            assert add(x, 0) == x

        @pytest.mark.parametrize(("a", "b"), [(1, 1), (2, 2), (3, 4)])
        def test_tuple_names(a, b):
            assert add(a, b) == a + b and a < 3

        @pytest.mark.parametrize(["a", "b"], [[1, 2], [2, 2]])
        def test_list_names(b, a):  # (the function's order need not be the names')
            assert add(a, b) == 3

        @pytest.mark.parametrize(" b ,a ", [(2, 1)])
        def test_spaced_names(a, b):
            assert add(a, b) == 3

        @pytest.mark.parametrize("pair,", [((1, 2),), ([2, 2],)])
        def test_trailing_comma(pair):
            assert add(*pair) == 3

        @pytest.mark.parametrize("pair", [(1, 2), (2, 2)])
        def test_tuple_values_to_one_name(pair):
            assert add(*pair) == 3

        @pytest.mark.parametrize("capsys", [1, 2])
        def test_name_of_a_builtin_fixture(capsys):
            assert add(capsys, 0) == capsys

        @pytest.mark.parametrize("a", [1])
        def test_returns(a):
            return add(a, a)
        """,
    "param_mixed": """
        import os
        import pytest
        from solution import add

        CASES = [(1, 2)]

        def test_plain_first():
            assert add(1, 1) == 2

        @pytest.mark.parametrize("nums, total", [([1, 2, 3], 6), ([2, 2], 4), ([], 0), ([-1, 5], 4)])
        def test_sum(nums, total):
            nums.append(0)  # (a list argument is the mark's own object, as in pytest)
            acc = 0
            for n in nums:
                acc = add(acc, n)
            assert acc == total

        def test_plain_between():
            assert os.environ["PYTEST_CURRENT_TEST"] == "test_solution.py::test_plain_between (call)"

        @pytest.mark.parametrize("s", ["a", "b"])
        def test_environment(s):
            assert os.environ["PYTEST_CURRENT_TEST"] == f"test_solution.py::test_environment[{s}] (call)"

        @pytest.mark.parametrize("a, b", [(2, 2), (1, 1)])
        def test_skip_or_xfail(a, b):
            if a == 1:
                pytest.skip("one")
            if add(a, b) != 4:
                pytest.xfail("wrong sum")
            assert add(a, b) == 4

        def test_plain_last():
            assert add(2, 3) == 5
        """,
}
PLAIN.update(PARAMETRIZED)
# Test classes it also takes: no bases, decorators or class attributes, only undecorated methods,
# the test ones taking ``self`` alone (an instance per test, made at collection as pytest does).
PLAIN["classes"] = """
    import os
    import pytest

    def helper(x):
        return add(x, x)

    class TestAdd:
        \"\"\"Adding.\"\"\"

        def test_small(self):
            assert add(1, 2) == 3

        def check(self, a, b):
            return add(a, b) == a + b

        def test_helper_method(self):
            assert self.check(2, 2) and helper(2) == 4

        def test_state_is_per_test(self):
            assert not hasattr(self, "seen")
            self.seen = True
            assert add(-1, 1) == 0

        def test_state_again(self):
            assert not hasattr(self, "seen")
            self.seen = True

        def test_raises(self):
            with pytest.raises(TypeError):
                add(1, "a")

        def test_returns(self):
            return add(1, 1)

        def test_environment(self):
            assert os.environ["PYTEST_CURRENT_TEST"] == "test_solution.py::TestAdd::test_environment (call)"

    def test_between():
        assert add(2, 2) == 4

    class TestMore:
        def test_negative(self):
            assert add(-1, -1) == -2

        def test_skip(self):
            pytest.skip("later")

        def test_a(self):
            assert add(1, 1) == 3

        def test_rebinds_a_later_test(self):
            type(self).test_second = lambda self: None  # pytest bound the original at collection

        def test_second(self):
            assert add(1, 1) == 3

        def test_a(self):  # redefined: one test, where the first definition was
            assert add(1, 1) == 2

    class Helper:  # not a test class
        def test_not_collected(self):
            assert False

    def test_last():
        assert add(0, 1) == 1
    """

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
    "param_ids_option": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2], ids=["one", "two"])
        def test_a(a):
            assert add(a, 0) == a
        """,
    "param_indirect": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2], indirect=False)
        def test_a(a):
            assert add(a, 0) == a
        """,
    "param_scope": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2], scope="module")
        def test_a(a):
            assert add(a, 0) == a
        """,
    "param_pytest_param": """
        import pytest

        @pytest.mark.parametrize("a, b", [(1, 2), pytest.param(2, 2, id="two")])
        def test_a(a, b):
            assert add(a, b) == a + b
        """,
    "param_stacked": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2])
        @pytest.mark.parametrize("b", [2, 3])
        def test_a(a, b):
            assert add(a, b) == a + b
        """,
    "param_and_mark": """
        import pytest

        @pytest.mark.xfail
        @pytest.mark.parametrize("a", [1, 2])
        def test_a(a):
            assert add(a, 0) == a
        """,
    "param_and_fixture": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2])
        def test_a(a, tmp_path):
            assert add(a, 0) == a
        """,
    "param_range": """
        import pytest

        @pytest.mark.parametrize("a", range(3))
        def test_a(a):
            assert add(a, 0) == a
        """,
    "param_name": """
        import pytest

        CASES = [(1, 2, 3), (2, 2, 4)]

        @pytest.mark.parametrize("a, b, expected", CASES)
        def test_a(a, b, expected):
            assert add(a, b) == expected
        """,
    "param_computed_value": """
        import pytest

        @pytest.mark.parametrize("a, b", [(1, add(1, 1)), (2, 2)])
        def test_a(a, b):
            assert add(a, b) == a + b
        """,
    "param_bytes_and_dict": """
        import pytest

        @pytest.mark.parametrize("a", [b"x", {"k": 1}])
        def test_a(a):
            assert add(0, 0) == 0
        """,
    "param_empty": """
        import pytest

        @pytest.mark.parametrize("a", [])
        def test_a(a):
            assert add(a, 0) == a

        def test_plain():
            assert add(1, 1) == 2
        """,
    "param_wrong_count": """
        import pytest

        @pytest.mark.parametrize("a, b", [(1, 2), (3,)])
        def test_a(a, b):
            assert add(a, b) == a + b
        """,
    "param_request": """
        import pytest

        @pytest.mark.parametrize("request", [1])
        def test_a(request):
            assert add(request, 0) == 1
        """,
    "param_default_argument": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2])
        def test_a(a, b=0):
            assert add(a, b) == a
        """,
    "param_mark_added_later": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2])
        def test_a(a):
            assert add(a, 0) == a

        test_a = pytest.mark.xfail(test_a)
        """,
    "param_applied_by_call": """
        import pytest

        def test_a(a):
            assert add(a, 0) == a

        test_a = pytest.mark.parametrize("a", [1, 2])(test_a)
        """,
    "param_alias": """
        import pytest

        @pytest.mark.parametrize("a", [1, 2])
        def check(a):
            assert add(a, 0) == a

        test_alias = check
        """,
    "class_init": """
        class TestInit:
            def __init__(self):
                self.x = 1

            def test_a(self):
                assert add(1, 1) == 2

        def test_plain():
            assert add(1, 1) == 2
        """,
    "class_setup_method": """
        class TestSetup:
            def setup_method(self, method):
                self.x = 1

            def test_a(self):
                assert add(self.x, 1) == 2
        """,
    "class_attribute": """
        class TestData:
            cases = [(1, 2, 3), (2, 2, 4)]

            def test_a(self):
                for a, b, c in self.cases:
                    assert add(a, b) == c
        """,
    "class_base": """
        class Base:
            def test_inherited(self):
                assert add(1, 1) == 2

        class TestChild(Base):
            def test_own(self):
                assert add(2, 2) == 4
        """,
    "class_staticmethod": """
        class TestStatic:
            @staticmethod
            def test_a():
                assert add(1, 1) == 2
        """,
    "class_parametrize": """
        import pytest

        class TestParam:
            @pytest.mark.parametrize("a", [1, 2])
            def test_a(self, a):
                assert add(a, 0) == a
        """,
    "class_fixture_argument": """
        class TestFixture:
            def test_a(self, tmp_path):
                assert add(1, 1) == 2
        """,
    "class_test_off": """
        class TestOff:
            __test__ = False

            def test_a(self):
                assert add(1, 1) == 3

        def test_plain():
            assert add(1, 1) == 2
        """,
    "class_marked": """
        import pytest

        @pytest.mark.skip(reason="later")
        class TestMarked:
            def test_a(self):
                assert add(1, 1) == 3
        """,
    "class_metaclass": """
        import abc

        class TestMeta(metaclass=abc.ABCMeta):
            def test_a(self):
                assert add(1, 1) == 2
        """,
    "class_mark_set_later": """
        import pytest

        class TestLater:
            def test_a(self):
                assert add(1, 1) == 3

        TestLater.test_a = pytest.mark.xfail(TestLater.test_a)
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
        ("param_add", "right"),
        ("param_add", "wrong"),
        ("param_add", "raises"),
        ("param_ids", "right"),
        ("param_names", "wrong"),
        ("param_mixed", "right"),
        ("param_mixed", "raises"),
        ("classes", "right"),
        ("classes", "wrong"),
    ],
)
def test_plain_runner_verdicts_agree_with_real_pytest(judges, tmp_path, fname, sname):
    auto, _ = judges
    agree(auto, tmp_path, SOLUTIONS[sname], PLAIN[fname])


def test_the_runner_setting_is_checked():
    with pytest.raises(ValueError, match="unit_test_runner"):
        JudgeConfig(unit_test_runner="fast")
