"""The judge's semantics: I/O idioms, functional problems, verdicts, scoring modes, APIs."""

from __future__ import annotations

import asyncio
import json
import textwrap
import threading

import pytest

from xcoder.judge import Judge, JudgeConfig, Verdict
from xcoder.problem import Problem, TestCase

SUM = Problem("sum", [TestCase("1 2\n", "3\n"), TestCase("10 20\n", "30\n"), TestCase("-5 5\n", "0\n")])
LINES = Problem("lines", [TestCase("3\n1\n2\n3\n", "6\n"), TestCase("2\n10\n20\n", "30\n")])


@pytest.fixture(scope="module", params=["auto", "none"])
def judge(request):
    with Judge(JudgeConfig(workers=2, timeout=3, sandbox=request.param)) as j:
        yield j


def ok(judge, problem, code, **kw):
    result = judge.judge(problem, textwrap.dedent(code), **kw)
    assert result.verdict is Verdict.ACCEPTED, (
        result.verdict,
        [(t.verdict, t.message, t.stderr) for t in result.tests],
    )
    return result


# -- I/O idioms: all must work, as under `python3 file.py < input` ------------------------------

IDIOMS = {
    "input": "n = int(input())\nprint(sum(int(input()) for _ in range(n)))",
    "stdin_read": "import sys\nd = sys.stdin.read().split()\nprint(sum(map(int, d[1:])))",
    "for_line_in_stdin": "import sys\nit = iter(sys.stdin)\nn = int(next(it))\nprint(sum(int(l) for l in it))",
    "open0": "d = open(0).read().split()\nprint(sum(map(int, d[1:])))",
    "buffer_readline_repeated": (
        "import sys\nrl = sys.stdin.buffer.readline\nn = int(rl())\ns = 0\n"
        "for _ in range(n):\n    s += int(rl())\nsys.stdout.write(str(s) + '\\n')"
    ),
    "readline_alias": (
        "import sys\ninput = sys.stdin.readline\nn = int(input())\nprint(sum(int(input()) for _ in range(n)))"
    ),
    "stdout_write_and_exit": (
        "import sys\nd = sys.stdin.read().split()\nsys.stdout.write(str(sum(map(int, d[1:]))) + '\\n')\nexit()"
    ),
    "sys_exit_0": "import sys\nd = sys.stdin.read().split()\nprint(sum(map(int, d[1:])))\nsys.exit(0)",
    "os_write": "import os, sys\nd = sys.stdin.buffer.read().split()\nos.write(1, str(sum(map(int, d[1:]))).encode())",
    "os_exit_after_flush": (
        "import os, sys\nd = sys.stdin.read().split()\nprint(sum(map(int, d[1:])), flush=True)\nos._exit(0)"
    ),
    "main_guard": (
        "def main():\n    n = int(input())\n    print(sum(int(input()) for _ in range(n)))\n\n"
        "if __name__ == '__main__':\n    main()"
    ),
    "thread_main": (
        "import sys, threading\nsys.setrecursionlimit(10**6)\nthreading.stack_size(1 << 26)\n"
        "def main():\n    d = sys.stdin.read().split()\n    print(sum(map(int, d[1:])))\n"
        "threading.Thread(target=main).start()"
    ),
    "atexit_flush": (
        "import atexit, io, os, sys\nbuf = io.StringIO()\n"
        "atexit.register(lambda: os.write(1, buf.getvalue().encode()))\n"
        "d = sys.stdin.read().split()\nbuf.write(str(sum(map(int, d[1:]))) + '\\n')"
    ),
    "print_to_stderr_too": (
        "import sys\nd = sys.stdin.read().split()\nprint('debug', file=sys.stderr)\nprint(sum(map(int, d[1:])))"
    ),
}


@pytest.mark.parametrize("idiom", sorted(IDIOMS))
def test_io_idioms(judge, idiom):
    ok(judge, LINES, IDIOMS[idiom])


def test_prelude_names_and_limits(judge):
    code = """
    # no imports: the LCB prelude provides these names
    n = int(input())
    q = deque([n]); h = []; heappush(h, n)
    c = Counter(str(n)); s = SortedList([3, 1, 2])
    @cache
    def f(k: int) -> int:
        return k if k < 2 else f(k - 1) + f(k - 2)
    print(f(90) % 1000, gcd(12, 18), pow(3, 4, 5), c['1'], s[0], isqrt(99), inf > 10**18, len(str(10**5000)))
    """
    problem = Problem("p", [TestCase("11\n", f"{2880067194370816120 % 1000} 6 1 2 1 9 True 5001\n")])
    ok(judge, problem, code)


def test_deep_recursion(judge):
    code = """
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)
    print(depth(int(input())))
    """
    ok(judge, Problem("rec", [TestCase("200000\n", "200000\n")]), code)


# -- functional (LeetCode) problems -------------------------------------------------------------

TWO_SUM = Problem(
    "two-sum",
    [TestCase("[2, 7, 11, 15]\n9", "[0, 1]"), TestCase("[3, 2, 4]\n6", "[1, 2]"), TestCase("[3, 3]\n6", "[0, 1]")],
    fn_name="twoSum",
)


def test_functional_solution_with_typing_and_tuple_result(judge):
    code = """
    class Solution:
        def twoSum(self, nums: List[int], target: int) -> List[int]:
            seen: Dict[int, int] = {}
            for i, x in enumerate(nums):
                if target - x in seen:
                    print("noise that must be ignored")
                    return (seen[target - x], i)
                seen[x] = i
    """
    ok(judge, TWO_SUM, code)


def test_functional_fresh_instance_per_test_and_wrong_answer(judge):
    stateful = """
    class Solution:
        def __init__(self):
            self.calls = 0
        def twoSum(self, nums, target):
            self.calls += 1
            assert self.calls == 1, "state leaked between tests"
            return [0, 1]
    """
    result = judge.judge(TWO_SUM, textwrap.dedent(stateful))
    assert result.tests[0].verdict is Verdict.ACCEPTED
    assert result.verdict is Verdict.WRONG_ANSWER and result.passed == 1  # test 2 expects [1, 2]


def test_functional_missing_method_and_unserialisable_return(judge):
    assert judge.judge(TWO_SUM, "class Solution:\n    def other(self): pass").verdict is Verdict.RUNTIME_ERROR
    res = judge.judge(TWO_SUM, "class Solution:\n    def twoSum(self, a, t): return {0, 1}")
    assert res.verdict is Verdict.WRONG_ANSWER and "JSON" in res.tests[0].message


def test_functional_big_integer_result(judge):
    p = Problem("big", [TestCase("3000", str(7**3000))], fn_name="power")
    ok(judge, p, "class Solution:\n    def power(self, n): return 7 ** n")


def test_functional_numpy_return_values_count_as_plain_values(judge):
    pytest.importorskip("numpy")
    p = Problem("np", [TestCase("[1, 2, 3]", "6"), TestCase("[4]", "4")], fn_name="total")
    ok(judge, p, "import numpy as np\nclass Solution:\n    def total(self, a): return np.sum(np.array(a))")
    q = Problem("np-list", [TestCase("[3, 1, 2]", "[1, 2, 3]")], fn_name="order")
    ok(judge, q, "import numpy as np\nclass Solution:\n    def order(self, a): return np.sort(np.array(a))")


def test_functional_megabyte_arguments_and_huge_integers(judge):
    # LeetCode tests with 10^5-element arrays are megabytes of JSON: far more than one socket
    # message holds. Integers past Python's 4,300-digit str limit must pass through too.
    nums = list(range(200_000))
    big = Problem(
        "big", [TestCase(f"{json.dumps(nums)}\n{7**5000}", json.dumps(sum(nums) + 7**5000))], fn_name="total"
    )
    ok(
        judge,
        big,
        "class Solution:\n    def total(self, nums: List[int], k: int) -> int:\n        return sum(nums) + k",
    )


# -- verdicts ------------------------------------------------------------------------------------


def test_wrong_answer_names_the_line(judge):
    res = judge.judge(SUM, "a, b = map(int, input().split())\nprint(a - b)")
    assert res.verdict is Verdict.WRONG_ANSWER and res.passed == 0
    assert "got '-1', expected '3'" in res.tests[0].message
    assert [t.verdict for t in res.tests[1:]] == [Verdict.SKIPPED, Verdict.SKIPPED]


def test_runtime_and_syntax_errors(judge):
    res = judge.judge(SUM, "print(1/0)")
    assert res.verdict is Verdict.RUNTIME_ERROR and "ZeroDivisionError" in res.tests[0].stderr
    res = judge.judge(SUM, "def broken(:\n    pass")
    assert res.verdict is Verdict.RUNTIME_ERROR and "SyntaxError" in res.tests[0].message
    res = judge.judge(SUM, "import sys\nprint(3)\nsys.exit(3)")
    assert res.verdict is Verdict.RUNTIME_ERROR
    res = judge.judge(SUM, "raise SystemExit('fatal')")
    assert res.verdict is Verdict.RUNTIME_ERROR and "fatal" in res.tests[0].stderr


def test_time_limit(judge):
    res = judge.judge(SUM, "while True: pass", timeout=0.5)
    assert res.verdict is Verdict.TIME_LIMIT and 0.5 <= res.tests[0].time < 5.0  # loose: CI machines are busy
    res = judge.judge(SUM, "import time\ntime.sleep(30)", timeout=0.5)
    assert res.verdict is Verdict.TIME_LIMIT


def test_time_limit_is_per_test_although_tests_are_sent_ahead(judge):
    # The worker queues several tests with the warm child; each one's clock starts when the
    # previous one ends, so four 0.6 s tests pass a 1.5 s limit, and the slow fifth does not.
    p = Problem("slow", [TestCase(f"{d}\n", f"{d}\n") for d in (0.6, 0.6, 0.6, 0.6, 3.0)])
    res = judge.judge(
        p, "import time\nd = float(input())\ntime.sleep(d)\nprint(d)", timeout=1.5, stop_on_first_failure=False
    )
    assert [t.verdict for t in res.tests] == [Verdict.ACCEPTED] * 4 + [Verdict.TIME_LIMIT], res.tests
    assert all(0.55 <= t.time < 1.5 for t in res.tests[:4]), [t.time for t in res.tests]


def test_memory_limit(judge):
    res = judge.judge(SUM, "x = bytearray(3 << 30)\nprint(len(x))", memory_mb=512)
    assert res.verdict is Verdict.MEMORY_LIMIT
    res = judge.judge(SUM, "x = [0] * (10**9)", memory_mb=512)
    assert res.verdict is Verdict.MEMORY_LIMIT


def test_output_limit(judge):
    res = judge.judge(SUM, "while True:\n    print('x' * 1000)", output_limit_mb=1)
    assert res.verdict is Verdict.OUTPUT_LIMIT


def test_fractional_scoring_runs_every_test(judge):
    code = "a, b = map(int, input().split())\nprint(a + b if a > 0 else 42)"
    res = judge.judge(SUM, code, stop_on_first_failure=False)
    assert [t.verdict for t in res.tests] == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    assert res.passed == 2 and res.pass_fraction == pytest.approx(2 / 3)


def test_a_crash_does_not_leak_into_later_tests(judge):
    code = "import os\nn = sum(map(int, input().split()))\nif n == 30: os._exit(3)\nprint(n)"
    res = judge.judge(SUM, code, stop_on_first_failure=False)
    assert [t.verdict for t in res.tests] == [Verdict.ACCEPTED, Verdict.RUNTIME_ERROR, Verdict.ACCEPTED]


def test_files_do_not_survive_between_tests(judge):
    code = (
        "import os\nprint('seen' if os.path.exists('state.txt') else sum(map(int, input().split())))\n"
        "open('state.txt', 'w').write('x')"
    )
    ok(judge, SUM, code)


def test_total_budget(judge):
    slow = Problem("slow", [TestCase(str(i), str(i)) for i in range(5)])
    res = judge.judge(
        slow, "import time\ntime.sleep(0.4)\nprint(input())", total_timeout=1.0, stop_on_first_failure=False
    )
    assert res.verdict is Verdict.TIME_LIMIT
    assert 1 <= res.passed <= 3 and "budget" in res.tests[-1].message  # 0.4 s sleeps against a 1 s budget


def test_comparison_modes(judge):
    p = Problem("pi", [TestCase("", "3.14159265\n")])
    assert judge.judge(p, "print(3.1415927)").verdict is Verdict.WRONG_ANSWER  # lcb: Decimal equality
    assert judge.judge(p, "print(3.1415927)", compare="float", abs_tol=1e-6).verdict is Verdict.ACCEPTED
    assert (
        judge.judge(Problem("e", [TestCase("", "a b")]), "print('a  b')", compare="exact").verdict
        is Verdict.WRONG_ANSWER
    )


def test_checker_accepts_any_valid_answer(judge):
    checker = textwrap.dedent("""
    def check(input, output, expected):
        n = int(input)
        a, b = map(int, output.split())
        return a + b == n and a >= 0 and b >= 0
    """)
    p = Problem("split", [TestCase("10\n", "5 5\n"), TestCase("7\n", "3 4\n")], checker=checker)
    ok(judge, p, "n = int(input())\nprint(0, n)")
    assert judge.judge(p, "n = int(input())\nprint(1, n)").verdict is Verdict.WRONG_ANSWER
    assert judge.judge(p, "print('garbage')").verdict is Verdict.WRONG_ANSWER  # checker raised


def test_bad_test_data_is_a_judge_error_not_the_programs_fault(judge):
    p = Problem("bad", [TestCase("not json", "1")], fn_name="f")
    res = judge.judge(p, "class Solution:\n    def f(self, x): return 1")
    assert res.verdict is Verdict.JUDGE_ERROR and res.error
    assert judge.judge(Problem("none", []), "print(1)").verdict is Verdict.JUDGE_ERROR
    unreadable = Problem("bad-out", [TestCase("1", "[1, 2")], fn_name="f")
    res = judge.judge(unreadable, "class Solution:\n    def f(self, x): return [1, 2]")
    assert res.verdict is Verdict.JUDGE_ERROR and "not JSON" in res.error


# -- APIs ----------------------------------------------------------------------------------------


def test_batch_keeps_input_order_and_survives_bad_samples(judge):
    codes = [
        "a, b = map(int, input().split())\nprint(a + b)",
        "while True: pass",
        "print(1/0)",
        "x = bytearray(1 << 40)",
    ] * 3
    results = judge.judge_batch([(SUM, c) for c in codes], timeout=0.5)
    expected = [Verdict.ACCEPTED, Verdict.TIME_LIMIT, Verdict.RUNTIME_ERROR, Verdict.MEMORY_LIMIT] * 3
    assert [r.verdict for r in results] == expected
    assert all(r.isolation for r in results)


def test_async_api(judge):
    async def main():
        return await judge.judge_batch_async(
            [(SUM, "a, b = map(int, input().split())\nprint(a + b)"), (SUM, "print(0)")]
        )

    results = asyncio.run(main())
    assert [r.verdict for r in results] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]


def test_thread_safety(judge):
    results = []

    def work():
        for _ in range(3):
            results.append(judge.judge(SUM, "a, b = map(int, input().split())\nprint(a + b)").verdict)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [Verdict.ACCEPTED] * 18


def test_isolation_is_recorded():
    with Judge(workers=1) as j:
        res = j.judge(SUM, "print(3)")
    assert res.isolation.split("+")[0] in {"namespaces", "rlimits"}


def test_judged_code_imports_stdlib_and_site_packages(judge):
    # Not preloaded by the zygote: these must be readable after the drop to a private uid.
    code = (
        "import glob, fractions, decimal, numpy\nprint(fractions.Fraction(1, 3) + fractions.Fraction(1, 6), "
        "int(numpy.int64(7)))"
    )
    ok(judge, Problem("imports", [TestCase("", "1/2 7\n")]), code)


def test_run_outputs_returns_what_programs_print(judge):
    gen = "import random, sys\nseed = int(input())\nrandom.seed(seed)\nprint(seed, random.randint(1, 10**9))"
    runs = judge.run_outputs(gen, ["1\n", "2\n", "1\n"])
    assert all(r.ok for r in runs) and runs[0].output == runs[2].output != runs[1].output
    assert runs[0].output.startswith("1 ")
    runs = judge.run_outputs("print(int(input()) // int(input()))", ["6\n3\n", "1\n0\n"])
    assert runs[0].output == "2\n" and runs[1].verdict is Verdict.RUNTIME_ERROR and runs[1].output is None
    func = judge.run_outputs(
        "class Solution:\n    def f(self, a, b): return [a, b]", ["1\n2", '"x"\nnull'], fn_name="f"
    )
    assert [r.output for r in func] == ["[1, 2]", '["x", null]']
    batch = judge.run_outputs_batch(
        [("print(input()[::-1])", ["abc\n"], None), ("while True: pass", ["x"], None)], timeout=0.5
    )
    assert batch[0][0].output == "cba\n" and batch[1][0].verdict is Verdict.TIME_LIMIT


def _judge_in_child(judge, queue):
    queue.put(judge.judge(SUM, "a, b = map(int, input().split())\nprint(a + b)").verdict.value)


def test_process_safety_forked_child_gets_its_own_workers(judge):
    import multiprocessing

    assert judge.judge(SUM, "print(0)").verdict is Verdict.WRONG_ANSWER  # parent's workers are up
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    children = [ctx.Process(target=_judge_in_child, args=(judge, queue)) for _ in range(2)]
    for child in children:
        child.start()
    verdicts = [queue.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=60)
    assert verdicts == ["accepted", "accepted"]
    ok(judge, SUM, "a, b = map(int, input().split())\nprint(a + b)")  # the parent's pool is intact


def test_memory_verdict_comes_from_a_fresh_process(judge):
    # Test 1 leaves 300 MB alive in the warm child; test 2 needs 350 MB of a 512 MB limit. Alone
    # (as under python3) test 2 fits, so it must pass: the judge reruns it in a fresh child.
    code = (
        "import sys\nn = int(input())\n"
        "if n == 1:\n    sys.modules['keep'] = bytearray(300 << 20)\n"
        "else:\n    x = bytearray(350 << 20)\nprint(n)"
    )
    p = Problem("mem", [TestCase("1\n", "1\n"), TestCase("2\n", "2\n")])
    ok(judge, p, code, memory_mb=512)


def test_worker_reads_what_a_dead_child_answered_before_dying(tmp_path):
    # The worker sends tests ahead. When the child then dies (a later test crashes) with some of
    # them unread, the kernel reports ECONNRESET once, before the answers the child did send;
    # those earlier tests still passed. (Under load this misattributed a crash to a passing test.)
    import os
    import select
    import socket

    from xcoder.judge.worker import zygote

    worker = zygote.Zygote(str(tmp_path), None, False, {})
    slot = zygote._Slot(None, "stdin", None)
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    parent.send(b"test sent ahead, never read")
    pid = os.fork()
    if pid == 0:
        parent.close()
        child.send(b"ok")
        child.send(b"ok")
        os._exit(3)
    child.close()
    pidfd = os.pidfd_open(pid)
    select.select([pidfd], [], [], 10)  # dead, not yet reaped
    os.close(pidfd)
    slot.pid, slot.sock = pid, parent
    assert worker._await(slot, 5) == (True, False, 0)
    assert worker._await(slot, 5) == (True, False, 0)
    done, timed_out, status = worker._await(slot, 5)
    assert (done, timed_out, os.waitstatus_to_exitcode(status)) == (False, False, 3)
