"""Two judging semantics: xcoder's (as `python3 solution.py < input` runs a program) and LiveCodeBench's
runner (semantics="lcb"). Each difference is shown on a minimal program that passes under one and fails
under the other, with the reason the lcb-mode result names."""

from __future__ import annotations

import pytest

from xcoder.judge import Judge, JudgeConfig, Verdict, lcb
from xcoder.judge.lcb import explain_difference
from xcoder.problem import Problem, TestCase

SUM = Problem("sum", [TestCase("1 2\n", "3\n"), TestCase("3 4\n", "7\n")])
PAIR = Problem("pair", [TestCase("1\n2", "[[1, 2]]"), TestCase("3\n4", "[[3, 4]]")], fn_name="pair")
READ = "a, b = map(int, input().split())\n"


@pytest.fixture(scope="module", params=["auto", "none"])
def judge(request):
    with Judge(JudgeConfig(workers=2, timeout=2, sandbox=request.param)) as j:
        yield j


# (program, problem, accepted under xcoder, accepted under lcb, reason lcb names or that explain_difference gives)
DIFFERENCES = {
    "open0": ("print(sum(map(int, open(0).read().split())))", SUM, True, False, lcb.MOCKED_STDIN),
    "stdin_buffer": (
        "import sys\nprint(sum(map(int, sys.stdin.buffer.read().split())))",
        SUM,
        True,
        False,
        lcb.MOCKED_STDIN,
    ),
    "from_sys_import_stdin_loop": (
        "from sys import stdin\nfor l in stdin:\n    print(sum(map(int, l.split())))",
        SUM,
        True,
        False,
        lcb.MOCKED_STDIN,
    ),
    "os_write": (
        "import os\n" + READ + "os.write(1, (str(a + b) + '\\n').encode())",
        SUM,
        True,
        False,
        lcb.CAPTURED_STDOUT,
    ),
    "global_in_function": (
        "c = 0\ndef f():\n    global c\n    c += 1\nf()\n" + READ + "print(a + b)",
        SUM,
        True,
        False,
        lcb.FUNCTION_WRAPPING,
    ),
    "recursion_limit": (
        "def f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\nf(100000)\n" + READ + "print(a + b)",
        SUM,
        True,
        False,
        lcb.RECURSION_LIMIT,
    ),
    "reliability_guard": ("import os\nos.getcwd()\n" + READ + "print(a + b)", SUM, True, False, lcb.RELIABILITY_GUARD),
    "no_sortedcontainers": (
        "from sortedcontainers import SortedList\n" + READ + "print(a + b)",
        SUM,
        True,
        False,
        lcb.NO_SORTEDCONTAINERS,
    ),
    "exit_code_ignored": (READ + "print(a + b)\nimport sys\nsys.exit(1)", SUM, False, True, lcb.EXIT_CODES),
    "swallowed_timeout": (
        "import time\ntry:\n    time.sleep(4)\nexcept Exception:\n    pass\n" + READ + "print(a + b)",
        SUM,
        False,
        True,
        lcb.TIMEOUTS,
    ),
    "nested_tuple_return": (
        "class Solution:\n    def pair(self, a, b):\n        return [(a, b)]",
        PAIR,
        True,
        False,
        lcb.RETURN_VALUES,
    ),
    "shared_solution_instance": (
        "class Solution:\n    def __init__(self):\n        self.calls = 0\n"
        "    def pair(self, a, b):\n        self.calls += 1\n"
        "        return [[a, b]] if self.calls == 1 else []",
        PAIR,
        True,
        False,
        lcb.SHARED_SOLUTION,
    ),
}


@pytest.mark.parametrize("name", sorted(DIFFERENCES))
def test_each_difference_on_a_minimal_program(judge, name):
    code, problem, xcoder_ok, lcb_ok, reason = DIFFERENCES[name]
    ours = judge.judge(problem, code)
    theirs = judge.judge(problem, code, semantics="lcb")
    assert (ours.semantics, theirs.semantics) == ("xcoder", "lcb")
    assert ours.accepted is xcoder_ok, (ours.verdict, [t.message for t in ours.tests])
    assert theirs.accepted is lcb_ok, (theirs.verdict, [t.message for t in theirs.tests])
    if not lcb_ok:
        assert theirs.reason == reason, (theirs.reason, [t.message for t in theirs.tests])
    assert explain_difference(code, ours, theirs, functional=problem.is_functional) == reason


@pytest.mark.parametrize(
    "code",
    [
        READ + "print(a + b)",
        "import sys\nfor line in sys.stdin:\n    a, b = map(int, line.split())\n    print(a + b)",
        "import sys\ninput = sys.stdin.readline\n" + READ + "print(a + b)",
        "def main():\n    " + READ.strip() + "\n    print(a + b)\n\nif __name__ == '__main__':\n    main()",
        "d = deque([1])\n" + READ + "print(a + b + len(d) - 1)",  # the prelude's names, under both
        READ + "print(f'{a + b}.0')",  # LCB's Decimal comparison under both
    ],
)
def test_programs_both_semantics_accept(judge, code):
    ours, theirs = judge.judge(SUM, code), judge.judge(SUM, code, semantics="lcb")
    assert ours.accepted and theirs.accepted, ([t.message for t in ours.tests], [t.message for t in theirs.tests])
    assert explain_difference(code, ours, theirs) is None and theirs.reason == ""


def test_lcb_runs_the_main_guard_only_when_it_is_the_last_statement(judge):
    code = "def main():\n    " + READ.strip() + "\n    print(a + b)\nif __name__ == '__main__':\n    main()\nx = 1\n"
    assert judge.judge(SUM, code).accepted
    theirs = judge.judge(SUM, code, semantics="lcb")
    assert theirs.verdict is Verdict.WRONG_ANSWER and theirs.reason == lcb.FUNCTION_WRAPPING


def test_lcb_timeouts_still_end_a_hanging_program(judge):
    theirs = judge.judge(SUM, "while True:\n    pass\n", semantics="lcb")
    assert theirs.verdict is Verdict.TIME_LIMIT and theirs.reason == lcb.TIMEOUTS


def test_unknown_semantics_is_refused():
    with pytest.raises(ValueError, match="semantics"):
        JudgeConfig(semantics="apps")


def test_stdin_program_rewrite_hoists_imports_and_wraps_the_rest():
    text = lcb.stdin_program("import sys\nx = 1\nprint(x)\n")
    assert text.startswith(lcb.LCB_PRELUDE) and "sys.setrecursionlimit(50000)" in text
    body = text[len(lcb.LCB_PRELUDE) :]
    assert body.index("import sys") < body.index("def wrapped_function():")
    assert "    x = 1" in body
