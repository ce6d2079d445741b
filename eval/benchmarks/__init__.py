"""Benchmarks ``xcoder eval --benchmark`` reads, each from its public files on a local path.

``lcb`` (LiveCodeBench, :mod:`eval.dataset`), ``humaneval``, ``mbpp``, ``humaneval_plus`` and
``mbpp_plus`` (EvalPlus), and ``kodcode`` (KodCode-V1 rows, :mod:`eval.benchmarks.kodcode`). The
function-completion benchmarks load as unit-test problems carrying their prompt in
``Problem.metadata`` (:mod:`eval.benchmarks.common`); :func:`program_for` turns a sample into the
program judged, for every benchmark.
"""

from __future__ import annotations

from pathlib import Path

from xcoder.extract import extract_code
from xcoder.problem import Problem

BENCHMARKS = ("lcb", "humaneval", "mbpp", "humaneval_plus", "mbpp_plus", "kodcode")
FUNCTION_BENCHMARKS = ("humaneval", "mbpp", "humaneval_plus", "mbpp_plus")


def load_benchmark(name: str, path: str | Path) -> list[Problem]:
    """The problems of a function-completion benchmark file (LCB goes through eval.dataset)."""
    if name == "humaneval":
        from eval.benchmarks import humaneval

        return humaneval.load(path)
    if name == "mbpp":
        from eval.benchmarks import mbpp

        return mbpp.load(path)
    if name in ("humaneval_plus", "mbpp_plus"):
        from eval.benchmarks import evalplus

        return evalplus.load(path, name)
    if name == "kodcode":
        from eval.benchmarks import kodcode

        return kodcode.load(path)
    raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")


def is_function_benchmark(problem: Problem) -> bool:
    return problem.metadata.get("benchmark") in FUNCTION_BENCHMARKS


def program_for(problem: Problem, output: str, code: str | None, mode: str = "last") -> str | None:
    """The program judged for one sample: ``code`` when the source already extracted it (a samples
    file), else the chosen fenced block of ``output``; for function benchmarks completed with the
    prompt (:func:`eval.benchmarks.common.extract_program`)."""
    if is_function_benchmark(problem):
        from eval.benchmarks.common import extract_program

        return extract_program(problem, output, code, mode)
    return code if code is not None else extract_code(output, mode=mode)  # type: ignore[arg-type]
