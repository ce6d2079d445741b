"""Reward latency: one GRPO-sized batch through the execution rewards vs a subprocess-per-test
reward run on the same number of cores.

The batch: 16 prompts x 8 completions = 128 completions, each a markdown answer with a fenced
program, 10 tests per problem; a few completions have no code or a syntax error, as a real
policy writes. Two workloads:
* ``lcb-like``: the problems and programs of ``judge_throughput.py`` (stdin and LeetCode-style,
  inputs of 1-1,000 numbers, right and wrong programs, one O(n^2)): the programs do real work;
* ``one-liners``: A + B with trivial programs: what remains is the rewards' and judge's overhead.
Target: <= 2 s per batch on 2 cores (warm judge). "test time" is the judge's own measure of the
time inside each test (the program's run, including its start in the worker), summed over all
tests and divided by the cores: the part of a batch that is not rewards or scheduling overhead.

Measured, each against the same batch:
* ``binary`` (stops at a completion's first failing test), ``pass_rate`` (all 10 tests) and
  ``xcoder_graded`` (10 sampled tests), sync and async forms; the first call also starts the
  judge's workers ("cold"), later calls are "warm" (median of ``--repeat``);
* the baseline many RL repos use: ``python solution.py < input`` per test, as many completions at
  a time as the judge has workers (one per core by default), so both sides use the same cores
  (the binary form stops at the first failure, the graded form runs all tests).

    python benchmarks/reward_latency.py [--repeat 3] [--host-mb 0] [--json out.json]

``--host-mb N`` imports torch and holds N MB in this process first, as a trainer does: the
baseline's subprocesses fork it, the judge's workers do not.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

# Run as a script: these imports need the repository root and benchmarks/ on sys.path (set just above).
from judge_throughput import _HARNESS, _workload  # noqa: E402

from rewards import close_judge, configure_judge, get_reward_funcs  # noqa: E402
from xcoder.extract import extract_code  # noqa: E402
from xcoder.judge.compare import compare_lcb, compare_values, loads_json  # noqa: E402
from xcoder.problem import Problem, TestCase  # noqa: E402

PROMPTS, GENERATIONS = 16, 8
TIMEOUT = 6.0


def _grpo_batch(groups: list[tuple[Problem, list[str]]]) -> tuple[list[str], list[str], list[Problem]]:
    """128 completions in GRPO order (the 8 of a prompt adjacent): their text, ``input_output``
    column and problem. A few have no code or a syntax error, as a real policy writes."""
    completions, ios, owners = [], [], []
    for g in range(PROMPTS):
        problem, codes = groups[g % len(groups)]
        io_ = json.dumps(problem.to_input_output())
        for k in range(GENERATIONS):
            if (g * GENERATIONS + k) % 32 == 7:
                text = "Let me think about the constraints first; the answer follows from a formula."
            elif (g * GENERATIONS + k) % 32 == 19:
                text = "Here you go:\n```python\ndef solve(:\n    pass\n```"
            else:
                text = f"The idea is standard.\n\n```python\n{codes[k % len(codes)]}\n```\n\nThis runs in time."
            completions.append(text)
            ios.append(io_)
            owners.append(problem)
    return completions, ios, owners


def lcb_like_batch():
    """The problems and programs of judge_throughput.py: real work per test."""
    by_problem: dict[str, tuple[Problem, list[str]]] = {}
    for problem, code in _workload():
        by_problem.setdefault(problem.question_id, (problem, []))[1].append(code)
    return _grpo_batch(list(by_problem.values()))


def one_liner_batch():
    """A + B with 10 tests and trivial programs: what is left is the rewards' and judge's overhead."""
    tests = [TestCase(f"{a} {a * 7 % 100}\n", str(a + a * 7 % 100)) for a in range(10)]
    problem = Problem("add", tests)
    codes = [
        "a, b = map(int, input().split())\nprint(a + b)",
        "print(sum(map(int, input().split())))",
        "a, b = map(int, input().split())\nprint(a - b)",
        "a, b = input().split()\nprint(a + b)",
    ]
    return _grpo_batch([(problem, codes)])


WORKLOADS = {"lcb-like": lcb_like_batch, "one-liners": one_liner_batch}


def program_time(completions: list[str], problems: list[Problem]) -> float:
    """Seconds spent inside tests (all tests, summed), as the judge measures them."""
    from rewards import get_judge

    pairs = [(p, code) for c, p in zip(completions, problems) if (code := extract_code(c)) is not None]
    results = get_judge().judge_batch(pairs, stop_on_first_failure=False)
    return sum(t.time for r in results for t in r.tests)


# -- the baseline: a fresh interpreter per test, one completion after another --------------------------


def _subprocess_score(workdir: str, i: int, completion: str, problem: Problem, stop_on_first_failure: bool) -> float:
    """One completion's reward: a fresh interpreter per test."""
    code = extract_code(completion)
    if code is None:
        return 0.0
    harness = os.path.join(workdir, "harness.py")
    path = os.path.join(workdir, f"s{i}.py")
    Path(path).write_text(code)
    passed = 0
    for test in problem.tests:
        cmd = [sys.executable, harness, path, problem.fn_name] if problem.is_functional else [sys.executable, path]
        try:
            proc = subprocess.run(cmd, input=test.input, capture_output=True, text=True, timeout=TIMEOUT)
            if proc.returncode != 0:
                ok = False
            elif problem.is_functional:
                ok = compare_values(loads_json(proc.stdout), loads_json(test.output))
            else:
                ok = compare_lcb(proc.stdout, test.output)
        except (subprocess.TimeoutExpired, ValueError):
            ok = False
        passed += ok
        if not ok and stop_on_first_failure:
            break
    total = len(problem.tests)
    return float(passed == total) if stop_on_first_failure else passed / total


def subprocess_reward(
    completions: list[str], problems: list[Problem], stop_on_first_failure: bool, parallel: int = 1
) -> list[float]:
    """The baseline, ``parallel`` completions at a time (as many as the judge has workers, so both
    sides use the same cores)."""
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory() as workdir:
        Path(workdir, "harness.py").write_text(_HARNESS)
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            futures = [
                pool.submit(_subprocess_score, workdir, i, c, p, stop_on_first_failure)
                for i, (c, p) in enumerate(zip(completions, problems))
            ]
            return [f.result() for f in futures]


# -- measurement ---------------------------------------------------------------------------------------


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="warm calls per reward (median reported)")
    ap.add_argument("--workers", type=int, default=0, help="judge workers (0: one per core)")
    ap.add_argument("--host-mb", type=int, default=0, help="import torch and hold this many MB first")
    ap.add_argument("--skip-baseline", action="store_true", help="only measure the rewards")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()

    ballast = None
    if args.host_mb:
        import torch

        ballast = torch.ones(args.host_mb * (1 << 20) // 4)  # noqa: F841 - held on purpose
    configure_judge(workers=args.workers, timeout=TIMEOUT)
    cores = args.workers or os.cpu_count() or 1
    figures: dict[str, dict] = {}
    for workload, make in WORKLOADS.items():
        completions, ios, problems = make()
        kwargs = dict(prompts=["p"] * len(completions), completions=completions, input_output=ios)
        for name in ("binary", "pass_rate", "xcoder_graded"):
            (sync,) = get_reward_funcs([name])
            (asynchronous,) = get_reward_funcs([name], asynchronous=True)
            cold = None
            call_sync = functools.partial(sync, **kwargs)
            if not figures:  # the very first call starts the judge's workers
                cold, _ = timed(call_sync)
            warm, values = [], None
            for _ in range(args.repeat):
                t, values = timed(call_sync)
                warm.append(t)
            warm_async = [timed(lambda: asyncio.run(asynchronous(**kwargs)))[0] for _ in range(args.repeat)]  # noqa: B023
            f = figures[f"{workload} {name}"] = {
                "workload": workload,
                "reward": name,
                "cold_s": cold,
                "warm_s": statistics.median(warm),
                "async_warm_s": statistics.median(warm_async),
                "mean_reward": statistics.fmean(v for v in values if v is not None),
                "values": values,
            }
            print(
                f"{workload:10s} {name:14s} warm {f['warm_s']:.2f} s  async {f['async_warm_s']:.2f} s"
                + (f"  cold {cold:.2f} s" if cold else ""),
                flush=True,
            )
        floor = program_time(completions, problems) / cores
        figures[f"{workload} pass_rate"]["test_time_s"] = floor
        print(
            f"{workload:10s} time inside the tests (all tests), spread over {cores} cores: {floor:.2f} s", flush=True
        )

        if not args.skip_baseline:
            for name, stop in (("binary", True), ("pass_rate", False)):
                f = figures[f"{workload} {name}"]
                t, values = timed(functools.partial(subprocess_reward, completions, problems, stop, cores))
                agree = sum(abs(a - b) < 1e-9 for a, b in zip(values, f["values"])) / len(values)
                f.update(baseline_s=t, speedup=t / f["warm_s"], agreement=agree)
                print(
                    f"{workload:10s} {name:14s} subprocess-per-test baseline {t:.1f} s ({f['speedup']:.0f}x slower), "
                    f"rewards agree on {agree:.0%}",
                    flush=True,
                )
    close_judge()

    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{PROMPTS * GENERATIONS} completions x 10 tests, {os.cpu_count()} cores, "
        f"load avg {os.getloadavg()[0]:.1f}"
    )
    for col in ("workload", "reward", "cold", "warm", "async warm", "test time", "baseline", "speed-up", "agree"):
        table.add_column(col, justify="left" if col in ("workload", "reward") else "right")
    for f in figures.values():
        table.add_row(
            f["workload"],
            f["reward"],
            f"{f['cold_s']:.2f} s" if f["cold_s"] else "",
            f"{f['warm_s']:.2f} s",
            f"{f['async_warm_s']:.2f} s",
            f"{f['test_time_s']:.2f} s" if "test_time_s" in f else "",
            f"{f['baseline_s']:.1f} s" if "baseline_s" in f else "",
            f"{f['speedup']:.0f}x" if "speedup" in f else "",
            f"{f['agreement']:.0%}" if "agreement" in f else "",
        )
    Console().print(table)
    if args.json:
        for f in figures.values():
            f.pop("values")
        args.json.write_text(
            json.dumps({"load_avg": os.getloadavg()[0], "host_mb": args.host_mb, "figures": figures}, indent=2)
        )


if __name__ == "__main__":
    main()
