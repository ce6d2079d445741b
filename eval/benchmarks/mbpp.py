"""MBPP (Google, "Mostly Basic Python Problems") from its public ``mbpp.jsonl``.

Row fields: ``task_id`` (int), ``text`` (the task), ``code`` (reference), ``test_list`` (three asserts),
``test_setup_code`` and ``challenge_test_list``. The hand-checked ``sanitized-mbpp.json`` (a JSON array
with ``prompt`` and ``test_imports`` instead of ``text``/``test_setup_code``) is read too.

The full file holds 974 problems; the published test split is task ids 11–510, and that is what is
evaluated when the file has them (``split="test"``; ``"all"`` keeps every row). Problem ids are
``Mbpp/<task_id>``, as EvalPlus names them.

Prompt: the MBPP paper's instruction (task text and the tests the code must pass). Graded as a
unit-test problem: ``test_setup_code`` (or ``test_imports``) then one test function per assert. MBPP's
own harness runs code, setup and asserts in one namespace, so the setup is also appended to the
program (a reference such as ``return Counter(...)`` may rely on the setup's import).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from eval.benchmarks.common import need, read_rows, unit_test_problem
from xcoder.problem import Problem, ProblemFormatError

TEST_SPLIT = range(11, 511)
USER_PROMPT = (
    "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n"
    "{tests}\n\nPut your code in a fenced code block."
)


def question_id(task_id: object) -> str:
    text = str(task_id)
    return text if text.startswith("Mbpp/") else f"Mbpp/{text}"


def make_test_file(setup: str, asserts: list[str]) -> str:
    """``setup`` then ``def test_<i>(): <assert i>`` for each assert, so each counts as one test."""
    parts = [setup.strip() + "\n\n"] if setup.strip() else []
    for i, line in enumerate(asserts):
        body = textwrap.indent(textwrap.dedent(line.replace("\r\n", "\n")).strip(), "    ")
        parts.append(f"\ndef test_{i}():\n{body}\n")
    return "".join(parts)


def entry_point(asserts: list[str]) -> str | None:
    """The first non-builtin function the first assert calls (``assert set(f(x)) == ...`` -> ``f``)."""
    import ast
    import builtins

    try:
        tree = ast.parse(asserts[0].strip())
    except (SyntaxError, IndexError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not hasattr(builtins, node.func.id):
            return node.func.id
    return None


def problem_from_row(row: dict, where: str) -> Problem:
    need(row, where, "task_id", "test_list")
    text = row.get("text", row.get("prompt"))
    if not isinstance(text, str):
        raise ProblemFormatError(f"{where}: needs 'text' (mbpp.jsonl) or 'prompt' (sanitized-mbpp.json)")
    asserts = row["test_list"]
    if not isinstance(asserts, list) or not asserts or not all(isinstance(a, str) for a in asserts):
        raise ProblemFormatError(f"{where}: 'test_list' must be a non-empty list of assert strings")
    setup = str(row.get("test_setup_code") or "")
    if row.get("test_imports"):
        setup = "\n".join(row["test_imports"]) + ("\n" + setup if setup else "")
    qid = question_id(row["task_id"])
    return unit_test_problem(
        qid,
        make_test_file(setup, asserts),
        benchmark="mbpp",
        entry_point=entry_point(asserts),
        code_prompt="",
        user_prompt=USER_PROMPT.format(text=text.strip(), tests="\n".join(a.strip() for a in asserts)),
        question_content=text,
        reference=str(row.get("code") or "").replace("\r\n", "\n"),
        # MBPP runs code, setup and asserts in one namespace: the setup's names are the solution's too.
        solution_suffix=setup.strip(),
    )


def load(path: str | Path, split: str = "test") -> list[Problem]:
    problems = [problem_from_row(row, where) for where, row in read_rows(path)]
    if split == "test":
        ids = {int(p.question_id.split("/")[1]) for p in problems if p.question_id.split("/")[1].isdigit()}
        if ids & set(TEST_SPLIT) and ids - set(TEST_SPLIT):  # the full file: keep the test split
            problems = [p for p in problems if int(p.question_id.split("/")[1]) in TEST_SPLIT]
    return problems
