"""KodCode-V1 (question–solution–pytest triplets) as a benchmark: ``--benchmark kodcode``.

Rows load through the core loader (``xcoder.problem.load_problems``: a JSONL/JSON/Parquet file, a
directory of them, or a hub id), as unit-test problems judged exactly as KodCode verifies them. The
prompt is KodCode's (``xcoder.prompts``: the question, and ``test_info``'s declaration where the
style needs a signature), the same one SFT, GRPO and data generation use.
"""

from __future__ import annotations

from pathlib import Path

from xcoder.problem import Problem, ProblemFormatError, load_problems


def load(path: str | Path, split: str | None = None) -> list[Problem]:
    problems, errors = load_problems(str(path), split=split)
    if errors:
        raise ProblemFormatError(f"{len(errors)} bad row(s) in {path}; first: {errors[0]}")
    out = []
    for problem in problems.values():
        if not problem.is_unittest:
            raise ProblemFormatError(f"{path}: row {problem.question_id!r} is not a KodCode row (no 'test' file)")
        problem.metadata["benchmark"] = "kodcode"
        out.append(problem)
    return out
