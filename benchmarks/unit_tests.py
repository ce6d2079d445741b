"""Unit-test problems (KodCode-style pytest files): what a sample costs in xcoder's judge.

(a) xcoder, unit-test kind: the program is ``solution.py``, a pytest file with ``--tests`` tests
    runs against it inside the sandboxed worker, with ``unit_test_runner="auto"`` (a plain file runs
    without a pytest session) and with ``"pytest"`` (always a session; pytest pre-imported there).
    ``--style plain``: one ``def test_i():`` per test (the plain runner takes it, KodCode's usual
    style); ``--style parametrize``: one test with a literal ``parametrize`` (since 2026-11-27 the
    plain runner takes it too; before, a session either way).
(b) xcoder, stdin kind, the same work: a program that reads ``n`` and prints ``f(n)``, one stdin
    test per case, where ``f`` is the unit-test sample's function.
(c) ``python -m pytest`` in a fresh subprocess per sample, files in a temporary directory (what
    KodCode's ``run_test.sh`` does, without its coverage plugin, which only adds to it).
Each runs ``--parallel`` samples at a time (one per core by default); every sample passes.
``--work`` is the loop length of ``f``, i.e. the compute per test. Wall time is reported for all,
and for (a) and (b) the CPU per sample (the caller, the worker and the programs' processes; one
worker, samples one after another), which a shared machine disturbs less.

    python benchmarks/unit_tests.py [--samples 40] [--tests 10] [--work 20000] [--style plain] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judge_throughput import cpu_breakdown  # noqa: E402  (this script's folder is on sys.path)

from xcoder.judge import Judge, JudgeConfig  # noqa: E402
from xcoder.problem import Problem, TestCase  # noqa: E402

SOLUTION = """\
def f(n):
    total = 0
    for i in range({work}):
        total += (i * n) % 7
    return total
"""
STDIN_PROGRAM = SOLUTION + "\nprint(f(int(input())))\n"
TEST_FILE = """\
import pytest
from solution import f


@pytest.mark.parametrize("n, expected", {cases!r})
def test_f(n, expected):
    assert f(n) == expected
"""
PLAIN_TEST = """
def test_f_{i}():
    assert f({n}) == {expected}
"""


def _f(n: int, work: int) -> int:
    return sum((i * n) % 7 for i in range(work))


def test_file(cases: list[tuple[int, int]], style: str) -> str:
    if style == "parametrize":
        return TEST_FILE.format(cases=cases)
    return "from solution import f\n" + "".join(
        PLAIN_TEST.format(i=i, n=n, expected=e) for i, (n, e) in enumerate(cases)
    )


def workload(
    n_samples: int, n_tests: int, work: int, style: str = "plain"
) -> tuple[list[tuple[Problem, str]], list[tuple[Problem, str]]]:
    """Per sample: a unit-test problem and a stdin problem with the same cases (one sample each)."""
    unit, stdin = [], []
    for s in range(n_samples):
        cases = [(s * n_tests + t, _f(s * n_tests + t, work)) for t in range(n_tests)]
        code = SOLUTION.format(work=work)
        unit.append((Problem(f"u{s}", [], test_file=test_file(cases, style)), code))
        stdin.append(
            (Problem(f"s{s}", [TestCase(f"{n}\n", f"{e}\n") for n, e in cases]), STDIN_PROGRAM.format(work=work))
        )
    return unit, stdin


def run_judge(pairs: list[tuple[Problem, str]], parallel: int, runner: str = "auto") -> tuple[float, int]:
    with Judge(JudgeConfig(workers=parallel, stop_on_first_failure=False, unit_test_runner=runner)) as judge:
        judge.judge_batch(pairs[:parallel])  # start the workers outside the timing
        start = time.perf_counter()
        results = judge.judge_batch(pairs)
        elapsed = time.perf_counter() - start
    accepted = sum(r.accepted for r in results)
    return elapsed, accepted


def cpu_per_sample(pairs: list[tuple[Problem, str]], runner: str = "auto") -> dict[str, float]:
    """CPU milliseconds per sample in the caller, the worker and the programs' processes
    (``judge_throughput.cpu_breakdown``: one worker, samples one after another)."""
    parts = cpu_breakdown(pairs, JudgeConfig(stop_on_first_failure=False, unit_test_runner=runner))
    return {**{k: round(v, 2) for k, v in parts.items()}, "total": round(sum(parts.values()), 2)}


def _pytest_subprocess(problem: Problem, code: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="xcoder-bench-") as tmp:
        Path(tmp, "solution.py").write_text(code)
        Path(tmp, "test_solution.py").write_text("from solution import *\n" + problem.test_file)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                tmp,
                "-c",
                os.devnull,
                "test_solution.py",
            ],
            cwd=tmp,
            capture_output=True,
            timeout=60,
        )
        return proc.returncode == 0


def run_subprocess(pairs: list[tuple[Problem, str]], parallel: int) -> tuple[float, int]:
    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        results = list(pool.map(lambda pc: _pytest_subprocess(*pc), pairs))
    return time.perf_counter() - start, sum(results)


def subprocess_cpu_per_sample(pairs: list[tuple[Problem, str]]) -> dict[str, float]:
    """CPU milliseconds per sample of the ``pytest`` subprocesses (reaped children), one at a time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for problem, code in pairs:
        _pytest_subprocess(problem, code)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "caller": 0.0,
        "worker": 0.0,
        "programs": round(used * 1000 / len(pairs), 2),
        "total": round(used * 1000 / len(pairs), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--tests", type=int, default=10, help="parametrized cases (stdin tests) per sample")
    parser.add_argument("--work", type=int, default=20000, help="loop iterations of f per test")
    parser.add_argument("--subprocess-samples", type=int, default=None, help="samples for (c); default --samples")
    parser.add_argument("--parallel", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--style", choices=("plain", "parametrize"), default="plain", help="test functions, or one parametrized"
    )
    parser.add_argument("--no-cpu", action="store_true", help="skip the CPU-per-sample measurement")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    unit, stdin = workload(args.samples, args.tests, args.work, args.style)
    figures: dict[str, dict] = {}
    for name, pairs, runner in (
        ("xcoder unit-test, auto", unit, lambda p, n: run_judge(p, n, "auto")),
        ("xcoder unit-test, pytest forced", unit, lambda p, n: run_judge(p, n, "pytest")),
        ("xcoder stdin, same work", stdin, run_judge),
        ("pytest subprocess per sample", unit[: args.subprocess_samples or args.samples], run_subprocess),
    ):
        elapsed, accepted = runner(pairs, args.parallel)
        figures[name] = {
            "samples": len(pairs),
            "accepted": accepted,
            "seconds": round(elapsed, 3),
            "samples_per_s": round(len(pairs) / elapsed, 2),
            "ms_per_sample": round(1000 * elapsed / len(pairs), 1),
        }
    if not args.no_cpu:
        figures["xcoder unit-test, auto"]["cpu_ms_per_sample"] = cpu_per_sample(unit, "auto")
        figures["xcoder unit-test, pytest forced"]["cpu_ms_per_sample"] = cpu_per_sample(unit, "pytest")
        figures["xcoder stdin, same work"]["cpu_ms_per_sample"] = cpu_per_sample(stdin)
        subprocess_pairs = unit[: min(10, args.subprocess_samples or args.samples)]
        figures["pytest subprocess per sample"]["cpu_ms_per_sample"] = subprocess_cpu_per_sample(subprocess_pairs)
    base = figures["xcoder unit-test, auto"]["ms_per_sample"]
    print(
        f"{args.samples} samples x {args.tests} tests ({args.style}), f loops {args.work}x per test, "
        f"{args.parallel} at a time, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end"
    )
    for name, fig in figures.items():
        print(
            f"  {name:32s} {fig['samples_per_s']:8.2f} samples/s  {fig['ms_per_sample']:8.1f} ms/sample  "
            f"({fig['accepted']}/{fig['samples']} accepted; {fig['ms_per_sample'] / base:.2f}x auto unit-test's time)"
        )
    if not args.no_cpu:
        stdin_cpu = figures["xcoder stdin, same work"]["cpu_ms_per_sample"]["total"]
        print("  CPU per sample (caller + worker + programs, one worker):")
        for name, fig in figures.items():
            if "cpu_ms_per_sample" in fig:
                cpu = fig["cpu_ms_per_sample"]
                print(
                    f"    {name:32s} {cpu['total']:7.1f} ms  (caller {cpu['caller']:.1f}, worker {cpu['worker']:.1f}, "
                    f"programs {cpu['programs']:.1f}; {cpu['total'] / stdin_cpu:.2f}x stdin)"
                )
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "figures": figures}, indent=2))


if __name__ == "__main__":
    main()
