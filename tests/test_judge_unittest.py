"""The unit-test problem kind: a pytest file run against the program saved as ``solution.py``.

Verdicts and per-test counts are checked against a real ``pytest`` subprocess on the same two
files; bad data (a test file that does not parse, imports a missing module, has no tests) is a
judge error naming the problem; a program's faults (hangs, crashes, collection errors) are verdicts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from xcoder.judge import Judge, JudgeConfig, Verdict
from xcoder.judge.unittests import IMPORT_SOLUTION, solution_test_module
from xcoder.problem import UNITTEST, Problem, ProblemFormatError, load_problems, problem_from_row

ROOT = Path(__file__).resolve().parents[1]
KODCODE = ROOT / "tests" / "fixtures" / "kodcode" / "kodcode_v1_sample.jsonl"
KODCODE_SAMPLES = ROOT / "tests" / "fixtures" / "kodcode" / "kodcode_v1_samples.jsonl"


@pytest.fixture(scope="module", params=["auto", "none"])
def judge(request):
    with Judge(JudgeConfig(workers=2, sandbox=request.param, stop_on_first_failure=False, test_file_timeout=10)) as j:
        yield j


def unit(test_file: str, qid: str = "u") -> Problem:
    return Problem(qid, [], test_file=textwrap.dedent(test_file))


def real_pytest(tmp_path: Path, solution: str, test_file: str) -> tuple[int, dict[str, str]]:
    """Exit status and {node id: PASSED/FAILED/ERROR/...} of ``pytest`` run as KodCode runs it."""
    Path(tmp_path, "solution.py").write_text(solution)
    Path(tmp_path, "test_solution.py").write_text(solution_test_module(test_file))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "test_solution.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    outcomes = dict(
        re.findall(r"^(test_solution\.py::.+?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)", proc.stdout, re.M)
    )
    return proc.returncode, outcomes


def agree(judge, tmp_path, solution: str, test_file: str):
    """Judge the pair and check every test's verdict against real pytest's outcome."""
    solution, test_file = textwrap.dedent(solution), textwrap.dedent(test_file)
    result = judge.judge(unit(test_file), solution)
    code, outcomes = real_pytest(tmp_path, solution, test_file)
    ours = {t.name: t.verdict for t in result.tests}
    assert set(ours) == set(outcomes), (ours, outcomes)
    for name, outcome in outcomes.items():
        assert (ours[name] is Verdict.ACCEPTED) == (outcome in ("PASSED", "SKIPPED", "XFAIL", "XPASS")), (
            name,
            outcome,
            result,
        )
    assert result.accepted == (code == 0), (code, result)
    assert result.total == len(outcomes) and result.passed == sum(v is Verdict.ACCEPTED for v in ours.values())
    return result


ADD = "def add(a, b):\n    return a + b\n\ndef _helper():\n    return 1\n"
ADD_WRONG = "def add(a, b):\n    return a - b if b == 2 else a + b\n"

FEATURES = {
    "asserts_no_import": """
        def test_small():
            assert add(1, 2) == 3

        def test_zero():
            assert add(0, 0) == 0
        """,
    "raises_and_from_import": """
        import pytest
        from solution import add

        def test_type_error():
            with pytest.raises(TypeError):
                add(1, "a")

        def test_no_raise_is_a_failure_when_it_does_not_raise():
            with pytest.raises(ValueError):
                add(1, 2)
        """,
    "parametrize": """
        import pytest
        from solution import add

        @pytest.mark.parametrize("a, b, expected", [(1, 2, 3), (2, 2, 4), (5, -5, 0), (1, 1, 3)])
        def test_add(a, b, expected):
            assert add(a, b) == expected

        @pytest.mark.parametrize("x", [1, 2])
        @pytest.mark.parametrize("y", ["p", "q"])
        def test_grid(x, y):
            assert add(x, 0) == x
        """,
    "classes_and_helpers": """
        from solution import add

        def check(a, b):
            return add(a, b) == add(b, a)

        class TestAdd:
            def test_commutes(self):
                assert check(2, 3)

            def test_identity(self):
                assert add(7, 0) == 7

            class TestNested:
                def test_nested(self):
                    assert add(1, 1) == 2
        """,
    "fixtures": """
        import pytest
        from solution import add

        @pytest.fixture
        def numbers():
            return [1, 2, 3]

        def test_custom_fixture(numbers):
            assert add(numbers[0], numbers[1]) == numbers[2]

        def test_tmp_path(tmp_path):
            p = tmp_path / "out.txt"
            p.write_text(str(add(2, 2)))
            assert p.read_text() == "4"

        def test_capsys(capsys):
            print(add(1, 1))
            assert capsys.readouterr().out == "2\\n"

        def test_monkeypatch(monkeypatch):
            import solution
            monkeypatch.setattr(solution, "add", lambda a, b: 42)
            assert solution.add(1, 2) == 42

        def test_missing_fixture(nonexistent_fixture):
            assert True
        """,
    "session_config": """
        import pathlib
        import pytest
        from solution import add

        # The worker builds the session's config before forking: it must be the one pytest
        # would build here (invoked from the files' directory, that directory as rootdir).
        def test_invoked_from_the_files_directory(request):
            config = request.config
            assert config.invocation_params.dir == pathlib.Path.cwd() == config.rootpath
            assert add(1, 2) == 3

        def test_a_nested_session_builds_its_own_config(request, tmp_path):
            (tmp_path / "test_inner.py").write_text("def test_inner():\\n    assert True\\n")
            code = pytest.main([str(tmp_path / "test_inner.py"), "-q", "-p", "no:cacheprovider", "-c", "/dev/null",
                                "--rootdir", str(tmp_path)])
            assert code == 0 and add(2, 2) == 4
        """,
    "skips_and_xfail": """
        import pytest
        from solution import add

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            assert add(1, 2) == 0

        @pytest.mark.xfail
        def test_expected_failure():
            assert add(1, 2) == 0

        def test_runs():
            assert add(1, 2) == 3
        """,
}


@pytest.mark.parametrize("feature", sorted(FEATURES))
@pytest.mark.parametrize("solution", [ADD, ADD_WRONG], ids=["right", "wrong"])
def test_verdicts_agree_with_real_pytest(judge, tmp_path, feature, solution):
    result = agree(judge, tmp_path, solution, FEATURES[feature])
    assert result.total >= 2
    assert {t.name.split("::")[0] for t in result.tests} == {"test_solution.py"}


def test_each_parametrized_case_is_a_test_with_its_own_verdict(judge):
    result = judge.judge(unit(FEATURES["parametrize"]), ADD)
    assert (result.passed, result.total) == (7, 8) and result.verdict is Verdict.WRONG_ANSWER
    [failing] = [t for t in result.tests if t.verdict is not Verdict.ACCEPTED]
    assert failing.name == "test_solution.py::test_add[1-1-3]" and "assert 2 == 3" in failing.message
    assert result.pass_fraction == pytest.approx(7 / 8)
    # Fractional rewards read the same result.
    from rewards.execution import PassRate

    assert PassRate().value(result) == pytest.approx(7 / 8)


def test_exceptions_are_runtime_errors_and_failed_asserts_wrong_answers(judge):
    code = "def add(a, b):\n    if a < 0:\n        raise KeyError(a)\n    return a + b\n"
    result = judge.judge(unit("def test_ok():\n    assert add(1, 2) == 4\ndef test_boom():\n    add(-1, 2)\n"), code)
    verdicts = {t.name.split("::")[1]: t.verdict for t in result.tests}
    assert verdicts == {"test_ok": Verdict.WRONG_ANSWER, "test_boom": Verdict.RUNTIME_ERROR}


def test_stop_on_first_failure_runs_pytest_with_exitfirst(judge):
    result = judge.judge(unit(FEATURES["parametrize"]), ADD_WRONG, stop_on_first_failure=True)
    # add(1, 2) is the first case and fails: pytest stops there, the other 7 are not run.
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER and result.total == 8
    assert all(t.verdict is Verdict.SKIPPED for t in result.tests[1:])


def test_the_program_is_imported_as_solution_with_real_builtins(judge):
    # No LiveCodeBench prelude: solution.py is a module like any other, __name__ == "solution".
    code = "NAME = __name__\ntry:\n    deque\n    HAS_PRELUDE = True\nexcept NameError:\n    HAS_PRELUDE = False\n"
    result = judge.judge(unit("def test_module():\n    assert NAME == 'solution' and not HAS_PRELUDE\n"), code)
    assert result.accepted, result


def test_tests_defined_by_the_program_do_not_count(judge, tmp_path):
    # `from solution import *` would bring them into the test module; they must not pad the count.
    code = (
        ADD
        + "\ndef test_free_point():\n    assert True\n\n"
        + "class TestFree:\n    def test_more(self):\n        assert True\n"
    )
    result = judge.judge(unit("def test_real():\n    assert add(2, 2) == 5\n"), code)
    assert [t.name for t in result.tests] == ["test_solution.py::test_real"] and result.passed == 0
    # ...and cannot turn a test file without tests of its own into a passing one.
    empty = judge.judge(unit("X = 1\n", "empty"), code)
    assert empty.verdict is Verdict.JUDGE_ERROR and "no tests" in empty.error


def test_the_program_cannot_skip_its_way_to_a_pass(judge):
    code = "import pytest\n\ndef add(a, b):\n    pytest.skip('nope')\n"
    result = judge.judge(unit("def test_add():\n    assert add(1, 2) == 3\n"), code)
    assert result.verdict is Verdict.WRONG_ANSWER and "skipped the test" in result.tests[0].message


@pytest.mark.parametrize("runner", ["auto", "pytest"])
@pytest.mark.parametrize(
    "raising, says",
    [
        ("import pytest\n\ndef add(a, b):\n    pytest.xfail('nope')\n", "expected failure"),
        ("import unittest\n\ndef add(a, b):\n    raise unittest.SkipTest('nope')\n", "skipped the test"),
        (
            "import pytest\n\ndef add(a, b):\n    raise BaseExceptionGroup('g', [pytest.skip.Exception('a')])\n",
            "skipped the test",
        ),
    ],
)
def test_no_skip_or_xfail_the_program_raises_counts_as_a_pass(runner, raising, says):
    """pytest counts skipped and xfailed tests as not failed; raised by the program they would pass
    any test. Plain files (the plain runner) and files only a session can run (a fixture) alike."""
    plain = "def test_add():\n    assert add(1, 2) == 3\n"
    with_fixture = (
        "import pytest\n\n@pytest.fixture\ndef two():\n    return 2\n\n"
        "def test_add(two):\n    assert add(1, two) == 3\n"
    )
    config = JudgeConfig(workers=1, stop_on_first_failure=False, test_file_timeout=10, unit_test_runner=runner)
    with Judge(config) as judge:
        for tests in (plain, with_fixture):
            result = judge.judge(unit(tests), raising)
            assert result.verdict is Verdict.WRONG_ANSWER, (tests, result)
            assert says in result.tests[0].message, result.tests[0].message
        # The test author's own skip and expected failure still count as pytest counts them.
        authored = (
            "import pytest\n\ndef test_skip():\n    pytest.skip('later')\n\n"
            "def test_xfail():\n    pytest.xfail('known')\n\n"
            "@pytest.mark.xfail(raises=ValueError)\ndef test_raises():\n    add(-1, 0)\n"
        )
        code = "def add(a, b):\n    if a < 0:\n        raise ValueError(a)\n    return a + b\n"
        result = judge.judge(unit(authored), code)
        assert result.accepted, result


def test_exiting_at_import_is_not_a_pass(judge):
    for code in ("import os\nos._exit(0)\n", "import sys\nsys.exit(0)\n", "import pytest\npytest.exit('bye', 0)\n"):
        result = judge.judge(unit("def test_add():\n    assert add(1, 2) == 3\n"), code)
        assert not result.accepted and result.verdict is not Verdict.JUDGE_ERROR, (code, result)


def test_program_errors_are_verdicts(judge):
    tests = "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    syntax = judge.judge(unit(tests), "def add(a, b)\n    return a + b\n")
    assert syntax.verdict is Verdict.RUNTIME_ERROR and "SyntaxError" in syntax.tests[0].message
    missing_name = judge.judge(unit(tests), "def plus(a, b):\n    return a + b\n")
    assert (
        missing_name.verdict is Verdict.RUNTIME_ERROR and "cannot import name 'add'" in missing_name.tests[0].message
    )
    missing_module = judge.judge(unit(tests), "import no_such_module_xyz\n\ndef add(a, b):\n    return a + b\n")
    assert missing_module.verdict is Verdict.RUNTIME_ERROR and "no_such_module_xyz" in missing_module.tests[0].message


def test_a_hanging_test_times_out_and_keeps_the_others(judge):
    code = "def add(a, b):\n    while b == 99:\n        pass\n    return a + b\n"
    tests = (
        "def test_a():\n    assert add(1, 2) == 3\n"
        "def test_hang():\n    add(1, 99)\n"
        "def test_c():\n    assert add(2, 2) == 4\n"
    )
    start = time.monotonic()
    result = judge.judge(unit(tests), code, test_file_timeout=2)
    assert time.monotonic() - start < 20
    assert [t.verdict for t in result.tests] == [Verdict.ACCEPTED, Verdict.TIME_LIMIT, Verdict.SKIPPED]
    assert result.total == 3 and result.passed == 1


def test_a_crash_mid_run_keeps_earlier_results(judge):
    code = "import os\n\ndef add(a, b):\n    if b == 0:\n        os.kill(os.getpid(), 9)\n    return a + b\n"
    tests = "def test_a():\n    assert add(1, 2) == 3\ndef test_b():\n    assert add(1, 0) == 1\n"
    result = judge.judge(unit(tests), code)
    assert [t.verdict for t in result.tests] == [Verdict.ACCEPTED, Verdict.RUNTIME_ERROR]
    assert "SIGKILL" in result.tests[1].message


# -- bad input: the data's fault names the problem; nothing stalls a batch ------------------------


def test_bad_test_files_are_judge_errors_naming_the_problem(judge):
    broken = judge.judge(unit("def test_x(:\n    pass\n", "broken-row"), ADD)
    assert broken.verdict is Verdict.JUDGE_ERROR and "broken-row" in broken.error and "does not parse" in broken.error
    lacking = judge.judge(
        unit("import no_such_test_dep_xyz\n\ndef test_x():\n    assert add(1, 2) == 3\n", "lacking-row"), ADD
    )
    assert lacking.verdict is Verdict.JUDGE_ERROR and "lacking-row" in lacking.error
    assert "'no_such_test_dep_xyz'" in lacking.error
    empty = judge.judge(unit("import pytest\n\ndef helper():\n    return 1\n", "empty-row"), ADD)
    assert empty.verdict is Verdict.JUDGE_ERROR and "empty-row" in empty.error and "no tests" in empty.error


def test_a_program_hanging_at_import_does_not_stall_the_batch(judge):
    tests = "def test_add():\n    assert add(1, 2) == 3\n"
    hang = "while True:\n    pass\n"
    start = time.monotonic()
    results = judge.judge_batch(
        [(unit(tests, "hangs"), hang), (unit(tests, "fine"), ADD), (unit(tests, "hangs2"), hang)], test_file_timeout=2
    )
    assert time.monotonic() - start < 30
    assert [r.verdict for r in results] == [Verdict.TIME_LIMIT, Verdict.ACCEPTED, Verdict.TIME_LIMIT]
    assert "while collecting the tests" in results[0].tests[0].message


def test_a_test_file_that_does_not_parse_is_refused_when_loaded(tmp_path):
    row = {"question_id": "bad", "question": "q", "solution": ADD, "test": "def test_(:\n"}
    with pytest.raises(ProblemFormatError, match=r"question_id=bad.*does not parse"):
        problem_from_row(row, where="kodcode.jsonl:7")


# -- the test file as the worker runs it ----------------------------------------------------------


def test_the_worker_prepares_pytest_main_before_forking(tmp_path):
    # What each unit-test sample saves: pytest.main's get_config, done once in the worker for both
    # exitfirst settings, from the scratch directory, with the arguments the child will pass.
    code = (
        "import json, sys\n"
        "from xcoder.judge.worker import prelude, testfile\n"
        "assert prelude.preimport_test_runner()\n"
        "testfile.prepare(sys.argv[1])\n"
        "print(json.dumps({str(x): [args == testfile._args(sys.argv[1], x), str(config.invocation_params.dir),\n"
        "                           list(config.invocation_params.plugins) == [reporter]]\n"
        "                  for x, (config, args, reporter) in testfile._prepared.items()}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert json.loads(out.stdout) == {"False": [True, str(tmp_path), True], "True": [True, str(tmp_path), True]}


def test_preparing_pytest_leaves_other_programs_environment_alone(judge):
    [run] = judge.run_outputs("import os\nprint(sorted(k for k in os.environ if k.startswith('PYTEST')))", [""])
    assert run.ok and run.output.strip() == "[]", run


def test_from_solution_import_star_goes_first_but_after_future_imports():
    assert solution_test_module("def test_x():\n    pass\n").startswith(IMPORT_SOLUTION + "\n")
    text = solution_test_module('"""Doc."""\nfrom __future__ import annotations\nimport os\n')
    assert text.split("\n")[:3] == ['"""Doc."""', "from __future__ import annotations", IMPORT_SOLUTION]
    compile(text, "t", "exec")


# -- KodCode rows ---------------------------------------------------------------------------------


def test_kodcode_rows_load_as_unit_test_problems():
    problems, errors = load_problems(KODCODE)
    assert errors == [] and len(problems) == 3
    instruct, complete = problems["Leetcode_00000001_I"], problems["Prefill_00000002_C"]
    assert instruct.kind == UNITTEST and instruct.tests == [] and "from solution import sum_even" in instruct.test_file
    assert instruct.metadata["entry_point"] == "sum_even" and instruct.metadata["style"] == "instruct"
    assert complete.metadata["style"] == "complete" and complete.question_content.startswith("def reverse_words")
    assert complete.difficulty == "medium" and complete.metadata["gpt_pass_sequence"] == [1, 0, 1]
    assert "entry_point" not in problems["Data_Structure_00000003_I"].metadata  # test_info is null for classes


def test_kodcode_reference_solutions_pass_their_tests(judge):
    problems, _ = load_problems(KODCODE)
    results = judge.judge_batch([(p, p.metadata["solution"]) for p in problems.values()])
    assert all(r.accepted for r in results), [(r.verdict, [t.message for t in r.tests]) for r in results]
    assert [r.total for r in results] == [3, 5, 4]


def test_xcoder_judge_cli_grades_kodcode_files(tmp_path):
    out = tmp_path / "graded.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "xcoder.cli",
            "judge",
            "--problems",
            str(KODCODE),
            "--samples",
            str(KODCODE_SAMPLES),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["graded_list"] for r in rows] == [[True, False]] * 3


def test_same_sandbox_and_limits_as_every_other_kind(judge):
    stdin = judge.judge(
        Problem("s", [__import__("xcoder.problem", fromlist=["TestCase"]).TestCase("", "ok\n")]), "print('ok')"
    )
    fixtures = str(KODCODE)  # the data beside the checkout's worker package
    code = f"import os\nSEES = os.path.exists({fixtures!r})\n"
    result = judge.judge(unit("def test_isolated():\n    assert not SEES\n"), code)
    assert result.isolation == stdin.isolation
    if result.isolation.startswith("namespaces"):
        assert result.accepted, result  # the checkout's data does not exist inside the sandbox
    hog = judge.judge(
        unit("def test_memory():\n    assert len(grab()) > 0\n"),
        "def grab():\n    return bytearray(8 << 30)\n",
        memory_mb=512,
    )
    assert hog.verdict is Verdict.MEMORY_LIMIT, hog
