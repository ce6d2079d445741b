"""Judge throughput: xcoder's judge vs two common designs, same workload, same run.

(a) subprocess-per-test: ``python3 solution.py < input`` for every test (the design of several
    RL code judges); functional problems get a small harness script that calls the method.
(b) LiveCodeBench's runner: per sample a ``multiprocessing.Manager`` with two shared lists and
    one ``multiprocessing.Process`` that runs every test in-process, with LCB's per-sample
    program rewriting and per-test machinery (SIGALRM, faulthandler, five ``unittest.mock``
    patches of stdin, stdout captured in a StringIO). Reimplemented from a reading of
    lcb_runner/evaluation, not copied.
(b-min) the same design stripped to its skeleton: a Manager list and a Process per sample, tests
    exec'd with StringIO stdin/stdout and nothing else. No process-per-sample judge can pay less,
    so it bounds what any such design costs.
All judges stop a sample at its first failing test, use the same comparison and run 2 samples
at a time (one per core). Also reports the per-test overhead of a trivial program and where a sample's CPU goes.

Where a judge runs matters for the baselines: they fork the process that calls them. A reward
function runs inside the trainer (torch imported, weights in memory); ``--host-mb N`` imports
torch and holds N MB of tensors in this process first, so every baseline fork pays for it as it
would there. xcoder's workers are separate small processes started once, so they do not.

    python benchmarks/judge_throughput.py [--repeat 2] [--host-mb 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xcoder.judge import Judge, JudgeConfig  # noqa: E402
from xcoder.judge.compare import compare_lcb, compare_values, loads_json  # noqa: E402
from xcoder.judge.worker.lcb import GUARDED_OS  # noqa: E402
from xcoder.judge.worker.prelude import PRELUDE_MODULES  # noqa: E402
from xcoder.problem import Problem, TestCase  # noqa: E402

TIMEOUT = 6.0
PARALLEL = 2


# -- workload: LCB-like problems (10 tests each, small to medium inputs) and typical samples ------


def _workload(seed: int = 0) -> list[tuple[Problem, str]]:
    rng = random.Random(seed)
    problems: list[tuple[Problem, list[str]]] = []

    def stdin_tests(gen, solve, n_tests=10):
        return [TestCase(inp, solve(inp)) for inp in (gen(i) for i in range(n_tests))]

    def g_nums(i):
        n = rng.randint(1, 10 + 100 * i)
        return f"{n}\n{' '.join(str(rng.randint(-(10**6), 10**6)) for _ in range(n))}\n"

    problems.append(
        (
            Problem("sum", stdin_tests(g_nums, lambda s: f"{sum(map(int, s.split()[1:]))}\n")),
            [
                "n = int(input())\nprint(sum(map(int, input().split())))",
                "import sys\nd = sys.stdin.buffer.read().split()\nprint(sum(map(int, d[1:])))",
                "def main():\n    n = int(input())\n    a = list(map(int, input().split()))\n    s = 0\n"
                "    for x in a:\n        s += x\n    print(s)\nmain()",
                "n = int(input())\na = list(map(int, input().split()))\nprint(sum(a) - (1 if n > 50 else 0))",
            ],
        )
    )
    problems.append(
        (
            Problem("sort", stdin_tests(g_nums, lambda s: " ".join(map(str, sorted(map(int, s.split()[1:])))) + "\n")),
            [
                "n = int(input())\nprint(*sorted(map(int, input().split())))",
                "import sys\ninput = sys.stdin.readline\nn = int(input())\na = sorted(map(int, input().split()))\n"
                "sys.stdout.write(' '.join(map(str, a)) + '\\n')",
                "n = int(input())\na = list(map(int, input().split()))\na.sort(reverse=True)\nprint(*a)",
                "n = int(input())\na = list(map(int, input().split()))\nprint(*sorted(a)[: n // 0 if n > 500 else n])",
            ],
        )
    )

    def g_words(i):
        n = rng.randint(1, 20 + 80 * i)
        return f"{n}\n" + "\n".join(rng.choice("abcdef") * rng.randint(1, 3) for _ in range(n)) + "\n"

    problems.append(
        (
            Problem("distinct", stdin_tests(g_words, lambda s: f"{len(set(s.split()[1:]))}\n")),
            [
                "n = int(input())\nprint(len({input() for _ in range(n)}))",
                "import sys\nprint(len(set(sys.stdin.read().split()[1:])))",
                "from collections import Counter\nn = int(input())\nprint(len(Counter(input() for _ in range(n))))",
                "n = int(input())\nprint(len([input() for _ in range(n)]))",
            ],
        )
    )

    def g_prefix(i):
        n, q = rng.randint(1, 50 + 50 * i), rng.randint(1, 50 + 50 * i)
        a = [rng.randint(0, 1000) for _ in range(n)]
        qs = [sorted((rng.randint(1, n), rng.randint(1, n))) for _ in range(q)]
        return f"{n} {q}\n{' '.join(map(str, a))}\n" + "".join(f"{lo} {hi}\n" for lo, hi in qs)

    def s_prefix(s):
        t = s.split()
        n = int(t[0])
        a = list(map(int, t[2 : 2 + n]))
        p = [0]
        for x in a:
            p.append(p[-1] + x)
        it = iter(map(int, t[2 + n :]))
        return "\n".join(str(p[hi] - p[lo - 1]) for lo, hi in zip(it, it)) + "\n"

    problems.append(
        (
            Problem("prefix", stdin_tests(g_prefix, s_prefix)),
            [
                "import sys\nfrom itertools import accumulate\nd = sys.stdin.read().split()\n"
                "n, q = int(d[0]), int(d[1])\np = [0, *accumulate(map(int, d[2:2 + n]))]\n"
                "it = iter(map(int, d[2 + n:]))\nprint('\\n'.join(str(p[r] - p[l - 1]) for l, r in zip(it, it)))",
                "n, q = map(int, input().split())\na = list(map(int, input().split()))\np = [0]\nfor x in a:\n"
                "    p.append(p[-1] + x)\nfor _ in range(q):\n    l, r = map(int, input().split())\n"
                "    print(p[r] - p[l - 1])",
                "n, q = map(int, input().split())\na = list(map(int, input().split()))\nfor _ in range(q):\n"
                "    l, r = map(int, input().split())\n    print(sum(a[l - 1:r]))",
                "n, q = map(int, input().split())\na = list(map(int, input().split()))\nfor _ in range(q):\n"
                "    l, r = map(int, input().split())\n    print(sum(a[l:r]))",
            ],
        )
    )

    def func_tests(gen, solve, n_tests=10):
        tests = []
        for i in range(n_tests):
            args = gen(i)
            tests.append(TestCase("\n".join(json.dumps(a) for a in args), json.dumps(solve(*args))))
        return tests

    def lis(nums):
        import bisect

        tails = []
        for x in nums:
            k = bisect.bisect_left(tails, x)
            tails[k : k + 1] = [x]
        return len(tails)

    gen_list = lambda i: [[rng.randint(-100, 100) for _ in range(rng.randint(1, 10 + 60 * i))]]  # noqa: E731
    problems.append(
        (
            Problem("lis", func_tests(gen_list, lis), fn_name="lengthOfLIS"),
            [
                "class Solution:\n    def lengthOfLIS(self, nums: List[int]) -> int:\n        tails = []\n"
                "        for x in nums:\n            k = bisect_left(tails, x)\n            tails[k:k + 1] = [x]\n"
                "        return len(tails)",
                "class Solution:\n    def lengthOfLIS(self, nums):\n        dp = [1] * len(nums)\n"
                "        for i in range(len(nums)):\n            for j in range(i):\n"
                "                if nums[j] < nums[i]:\n                    dp[i] = max(dp[i], dp[j] + 1)\n"
                "        return max(dp)",
                "class Solution:\n    def lengthOfLIS(self, nums):\n        return len(set(nums))",
            ],
        )
    )

    def max_sub(nums):
        best = cur = nums[0]
        for x in nums[1:]:
            cur = max(x, cur + x)
            best = max(best, cur)
        return best

    problems.append(
        (
            Problem("maxsub", func_tests(gen_list, max_sub), fn_name="maxSubArray"),
            [
                "class Solution:\n    def maxSubArray(self, nums: List[int]) -> int:\n        best = cur = nums[0]\n"
                "        for x in nums[1:]:\n            cur = max(x, cur + x)\n            best = max(best, cur)\n"
                "        return best",
                "class Solution:\n    def maxSubArray(self, nums):\n"
                "        return max(accumulate(nums, lambda a, b: max(a + b, b)))",
                "class Solution:\n    def maxSubArray(self, nums):\n        return sum(x for x in nums if x > 0)",
            ],
        )
    )

    def balanced(s):
        depth = 0
        for c in s:
            depth += 1 if c == "(" else -1
            if depth < 0:
                return False
        return depth == 0

    gen_par = lambda i: ["".join(rng.choice("()") for _ in range(2 * rng.randint(1, 5 + 20 * i)))]  # noqa: E731
    problems.append(
        (
            Problem("parens", func_tests(gen_par, balanced), fn_name="isValid"),
            [
                "class Solution:\n    def isValid(self, s: str) -> bool:\n        d = 0\n        for c in s:\n"
                "            d += 1 if c == '(' else -1\n            if d < 0:\n                return False\n"
                "        return d == 0",
                "class Solution:\n    def isValid(self, s: str) -> bool:\n        while '()' in s:\n"
                "            s = s.replace('()', '')\n        return not s",
                "class Solution:\n    def isValid(self, s: str) -> bool:\n        return s.count('(') == s.count(')')",
            ],
        )
    )
    return [(p, code) for p, codes in problems for code in codes]


# -- baseline (a): a fresh interpreter per test -----------------------------------------------------

_HARNESS = """
import json, sys
from typing import *
from collections import *
from itertools import *
from bisect import *
from heapq import *
from math import *
exec(compile(open(sys.argv[1]).read(), "solution.py", "exec"))
args = [json.loads(line) for line in sys.stdin.read().split("\\n")]
print(json.dumps(getattr(Solution(), sys.argv[2])(*args)))
"""


def subprocess_judge(problem: Problem, code: str, workdir: str) -> bool:
    with tempfile.NamedTemporaryFile("w", suffix=".py", dir=workdir, delete=False) as fh:
        fh.write(code if not problem.is_functional else code)
        path = fh.name
    harness = os.path.join(workdir, "harness.py")
    try:
        for test in problem.tests:
            cmd = [sys.executable, harness, path, problem.fn_name] if problem.is_functional else [sys.executable, path]
            try:
                proc = subprocess.run(cmd, input=test.input, capture_output=True, text=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return False
            if proc.returncode != 0:
                return False
            if problem.is_functional:
                if not compare_values(loads_json(proc.stdout), loads_json(test.output)):
                    return False
            elif not compare_lcb(proc.stdout, test.output):
                return False
        return True
    finally:
        os.unlink(path)


# -- baseline (b-min): process per sample, nothing else ------------------------------------------


def _lcb_style_run(problem: Problem, code: str, results) -> None:
    import contextlib

    try:
        compiled = compile(code, "solution.py", "exec")
    except SyntaxError:
        results.append(False)
        return
    if problem.is_functional:
        ns: dict = {"__name__": "solution"}
        exec(
            "from typing import *\nfrom collections import *\nfrom itertools import *\nfrom bisect import *\n"
            "from heapq import *\nfrom math import *",
            ns,
        )
        try:
            exec(compiled, ns)
            method = getattr(ns["Solution"](), problem.fn_name)
        except Exception:
            results.append(False)
            return
    for test in problem.tests:
        try:
            if problem.is_functional:
                args = [json.loads(line) for line in test.input.split("\n")]
                ok = compare_values(method(*args), loads_json(test.output))
            else:
                out = io.StringIO()
                old_stdin = sys.stdin
                sys.stdin = io.StringIO(test.input)
                try:
                    with contextlib.redirect_stdout(out):
                        try:
                            exec(compiled, {"__name__": "__main__"})
                        except SystemExit:
                            pass
                finally:
                    sys.stdin = old_stdin
                ok = compare_lcb(out.getvalue(), test.output)
        except Exception:
            ok = False
        results.append(ok)
        if not ok:
            return


def lcb_style_judge(problem: Problem, code: str) -> bool:
    manager = multiprocessing.Manager()
    try:
        results = manager.list()
        proc = multiprocessing.Process(target=_lcb_style_run, args=(problem, code, results))
        proc.start()
        proc.join(timeout=(TIMEOUT + 1) * len(problem.tests) + 5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        got = list(results)
        return len(got) == len(problem.tests) and all(got)
    finally:
        manager.shutdown()


# -- baseline (b): LiveCodeBench's runner, mechanism by mechanism ---------------------------------
# Written from a reading of lcb_runner/evaluation (check_correctness, run_test, grade_stdio,
# grade_call_based, call_method, reliability_guard); none of its code is copied. Per sample, the
# caller starts a Manager (a server process) with two shared lists and one Process that runs every
# test. The Process disables destructive functions, then, for stdin problems, rewrites the program
# with ast (drops an ``if __name__ == '__main__'`` guard, wraps the body in a function), prepends
# the import prelude and execs it as a module. Each test arms SIGALRM and faulthandler and runs
# the function under five ``unittest.mock.patch``es of stdin and ``open`` with stdout captured in a
# StringIO; LeetCode problems call the method directly.

# LCB's prelude: star imports of the same modules xcoder's worker offers, then builtins and typing.
_LCB_PRELUDE = (
    "".join(f"from {m} import *\n" for m in (*PRELUDE_MODULES, "builtins", "typing"))
    + "".join(f"import {m}\n" for m in PRELUDE_MODULES)
    + "sys.setrecursionlimit(50000)\n"
)


class _Alarm(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Alarm


def _disable_destructive_functions() -> None:
    import builtins
    import faulthandler
    import shutil
    import subprocess as sp

    faulthandler.disable()
    os.environ["OMP_NUM_THREADS"] = "1"
    builtins.exit = builtins.quit = builtins.help = None
    for name in GUARDED_OS:  # the os functions LCB's reliability guard disables (one list, the judge's)
        setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    sp.Popen = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


def _as_function(code: str) -> str:
    """The stdin program as ``wrapped_function``: guard removed, imports kept at module level."""
    import ast

    try:
        tree = ast.parse(code)
        body = tree.body
        last = body[-1] if body else None
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
            body = body[:-1] + last.body
        imports = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
        rest = [n for n in body if not isinstance(n, (ast.Import, ast.ImportFrom))]
        fn = ast.FunctionDef(
            name="wrapped_function",
            args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=rest or [ast.Pass()],
            decorator_list=[],
            lineno=1,
        )
        return _LCB_PRELUDE + "\n" + ast.unparse(imports) + "\n" + ast.unparse(fn)
    except Exception:
        return code


def _as_module(code: str, timeout: int):
    import types

    signal.alarm(timeout)
    try:
        module = types.ModuleType("tmp_sol", "")
        exec(code, module.__dict__)
        return module.Solution() if "class Solution" in code else module
    finally:
        signal.alarm(0)


def _with_patched_stdin(fn, text: str) -> None:
    from unittest.mock import mock_open, patch

    lines = iter(text.split("\n"))
    with (
        patch("builtins.open", mock_open(read_data=text)),
        patch("sys.stdin", io.StringIO(text)),
        patch("sys.stdin.readline", lambda *a: next(lines)),
        patch("sys.stdin.readlines", lambda *a: text.split("\n")),
        patch("sys.stdin.read", lambda *a: text),
    ):
        try:
            fn()
        except SystemExit:
            pass


def _lcb_runner_child(sample: dict, code: str, results, metadata) -> None:
    import faulthandler

    signal.signal(signal.SIGALRM, _on_alarm)
    _disable_destructive_functions()
    io_spec = json.loads(sample["input_output"])
    timeout = int(TIMEOUT)
    outcome: list = []
    try:
        fn_name = io_spec.get("fn_name")
        target = _as_module(_LCB_PRELUDE + "\n" + code if fn_name else _as_function(code), timeout)
        method = getattr(target, fn_name or "wrapped_function")
        for text, expected in zip(io_spec["inputs"], io_spec["outputs"]):
            signal.alarm(timeout)
            faulthandler.enable()
            try:
                if fn_name:
                    got = method(*[json.loads(line) for line in text.split("\n")])
                    ok = compare_values(got, json.loads(expected))
                else:
                    saved, sys.stdout = sys.stdout, io.StringIO()
                    try:
                        _with_patched_stdin(method, text)
                        printed = sys.stdout.getvalue()
                    finally:
                        sys.stdout = saved
                    ok = compare_lcb(printed, expected)
            except BaseException:  # the alarm, or anything the program raised
                ok = False
            finally:
                signal.alarm(0)
                faulthandler.disable()
            outcome.append(ok)
            if not ok:
                break
    except BaseException:
        outcome.append(False)
    results.append(outcome)
    metadata.append({})


def lcb_runner_judge(problem: Problem, code: str) -> bool:
    sample = {
        "input_output": json.dumps(
            {
                "inputs": [t.input for t in problem.tests],
                "outputs": [t.output for t in problem.tests],
                **({"fn_name": problem.fn_name} if problem.fn_name else {}),
            }
        )
    }
    manager = multiprocessing.Manager()
    try:
        results, metadata = manager.list(), manager.list()
        proc = multiprocessing.Process(target=_lcb_runner_child, args=(sample, code, results, metadata))
        proc.start()
        n_tests = len(json.loads(sample["input_output"])["inputs"])
        proc.join(timeout=(TIMEOUT + 1) * n_tests + 5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        got = list(results)
        return bool(got) and len(got[0]) == n_tests and all(got[0])
    finally:
        manager.shutdown()


# -- measurement ---------------------------------------------------------------------------------


def cpu_breakdown(pairs, config: JudgeConfig | None = None) -> dict[str, float]:
    """CPU milliseconds per sample in the caller, the worker and the programs' processes: one
    worker, samples one after another. The worker reports its own and its reaped children's
    CPU when pinged (the benchmark reaches into the judge's pool for that worker). ``config``'s
    worker count is overridden to 1. (``benchmarks/unit_tests.py`` measures with it too.)"""
    import dataclasses
    import resource

    def own() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    config = dataclasses.replace(config or JudgeConfig(timeout=TIMEOUT), workers=1)
    with Judge(config) as judge:
        judge.judge(*pairs[0])
        worker = judge._idle.get()
        judge._idle.put(worker)
        before, caller = worker.call({"op": "ping"}, 10)["rusage"], own()
        for problem, code in pairs:
            judge.judge(problem, code)
        after, caller = worker.call({"op": "ping"}, 10)["rusage"], own() - caller
    return {
        "caller": caller * 1000 / len(pairs),
        "worker": (after["self"] - before["self"]) * 1000 / len(pairs),
        "programs": (after["children"] - before["children"]) * 1000 / len(pairs),
    }


def _timed(fn, pairs) -> tuple[float, list[bool]]:
    start = time.perf_counter()
    with ThreadPoolExecutor(PARALLEL) as pool:
        verdicts = list(pool.map(lambda pc: fn(*pc), pairs))
    return time.perf_counter() - start, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2, help="copies of the workload")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--host-mb", type=int, default=0, help="import torch and hold this many MB of tensors, like a trainer"
    )
    args = parser.parse_args()
    ballast = None
    if args.host_mb:
        import torch

        ballast = torch.ones(args.host_mb << 18)  # float32: 2**18 values per MB
        ballast += 1  # touch every page

    pairs = _workload() * args.repeat
    n_tests = sum(len(p.tests) for p, _ in pairs)
    print(
        f"workload: {len(pairs)} samples over {len({p.question_id for p, _ in pairs})} problems, "
        f"{n_tests} tests in all"
    )

    with Judge(JudgeConfig(workers=PARALLEL, timeout=TIMEOUT)) as judge:
        judge.judge_batch(pairs[:PARALLEL])  # start every worker outside the timing
        t0 = time.perf_counter()
        ours = [r.accepted for r in judge.judge_batch(pairs)]
        t_ours = time.perf_counter() - t0
        isolation = judge.judge(pairs[0][0], pairs[0][1]).isolation
        trivial = Problem("trivial", [TestCase(f"{i}\n", f"{i}\n") for i in range(1000)])
        with Judge(JudgeConfig(workers=1, timeout=TIMEOUT)) as single:
            single.judge(trivial, "print(input())")
            t0 = time.perf_counter()
            res = single.judge(trivial, "print(input())")
            per_test_ms = (time.perf_counter() - t0) / len(trivial.tests) * 1000
        assert res.accepted
    breakdown = cpu_breakdown(pairs)

    with tempfile.TemporaryDirectory() as workdir:
        Path(workdir, "harness.py").write_text(_HARNESS)
        t_sub, sub = _timed(lambda p, c: subprocess_judge(p, c, workdir), pairs)
    t_lcb, lcb = _timed(lcb_runner_judge, pairs)
    t_min, bmin = _timed(lcb_style_judge, pairs)
    # The programs' own work, with no isolation at all: a floor no judge can beat (one core,
    # divided by the parallelism the judges had).
    t0 = time.perf_counter()
    for problem, code in pairs:
        _lcb_style_run(problem, code, [])
    t_floor = (time.perf_counter() - t0) / PARALLEL

    agree_sub = sum(a == b for a, b in zip(ours, sub)) / len(pairs)
    agree_lcb = sum(a == b for a, b in zip(ours, lcb)) / len(pairs)
    agree_min = sum(a == b for a, b in zip(ours, bmin)) / len(pairs)
    figures = {
        "samples": len(pairs),
        "tests": n_tests,
        "isolation": isolation,
        "xcoder_samples_per_s": len(pairs) / t_ours,
        "subprocess_per_test_samples_per_s": len(pairs) / t_sub,
        "lcb_runner_samples_per_s": len(pairs) / t_lcb,
        "process_per_sample_min_samples_per_s": len(pairs) / t_min,
        "speedup_vs_subprocess": t_sub / t_ours,
        "speedup_vs_lcb_runner": t_lcb / t_ours,
        "speedup_vs_process_per_sample_min": t_min / t_ours,
        "per_test_overhead_ms_trivial": per_test_ms,
        "cpu_ms_per_sample": breakdown,
        "compute_floor_s": t_floor,
        "xcoder_s": t_ours,
        "subprocess_per_test_s": t_sub,
        "lcb_runner_s": t_lcb,
        "process_per_sample_min_s": t_min,
        "overhead_ratio_vs_lcb_runner": (t_lcb - t_floor) / max(t_ours - t_floor, 1e-9),
        "overhead_ratio_vs_process_per_sample_min": (t_min - t_floor) / max(t_ours - t_floor, 1e-9),
        "verdict_agreement_subprocess": agree_sub,
        "verdict_agreement_lcb_runner": agree_lcb,
        "verdict_agreement_process_per_sample_min": agree_min,
        "accepted_fraction": sum(ours) / len(pairs),
        "cpus": os.cpu_count(),
        "host_mb": args.host_mb,
    }
    from rich.console import Console
    from rich.table import Table

    host = f"host holds {args.host_mb} MB + torch" if args.host_mb else "bare host process"
    table = Table(title=f"judge throughput ({len(pairs)} samples, {n_tests} tests, {PARALLEL} at a time; {host})")
    for col in ("judge", "samples/s", "speed-up of xcoder", "verdict agreement"):
        table.add_column(col, justify="right" if col != "judge" else "left")
    table.add_row(f"xcoder ({isolation})", f"{figures['xcoder_samples_per_s']:.1f}", "1.0x", "-")
    table.add_row(
        "(a) subprocess per test",
        f"{figures['subprocess_per_test_samples_per_s']:.1f}",
        f"{figures['speedup_vs_subprocess']:.1f}x",
        f"{agree_sub:.0%}",
    )
    table.add_row(
        "(b) LiveCodeBench's runner",
        f"{figures['lcb_runner_samples_per_s']:.1f}",
        f"{figures['speedup_vs_lcb_runner']:.1f}x",
        f"{agree_lcb:.0%}",
    )
    table.add_row(
        "(b-min) bare process per sample",
        f"{figures['process_per_sample_min_samples_per_s']:.1f}",
        f"{figures['speedup_vs_process_per_sample_min']:.1f}x",
        f"{agree_min:.0%}",
    )
    table.add_row("compute floor (no isolation)", f"{len(pairs) / t_floor:.1f}", "-", "-")
    Console().print(table)
    print(
        f"judging overhead above the compute floor: xcoder {t_ours - t_floor:.2f} s, "
        f"LCB's runner {t_lcb - t_floor:.2f} s "
        f"({figures['overhead_ratio_vs_lcb_runner']:.1f}x), bare process per sample {t_min - t_floor:.2f} s "
        f"({figures['overhead_ratio_vs_process_per_sample_min']:.1f}x), subprocess {t_sub - t_floor:.2f} s"
    )
    print(f"per-test overhead, trivial program, one worker: {per_test_ms:.2f} ms")
    print("CPU per sample, one worker: " + ", ".join(f"{k} {v:.2f} ms" for k, v in breakdown.items()))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
