"""What the function-completion benchmarks (HumanEval, MBPP, EvalPlus) share: reading their files,
building unit-test problems, the instruct prompt, and turning a completion into the program judged.

A benchmark problem carries what generation and extraction need in ``Problem.metadata``:
``benchmark``, ``entry_point``, ``code_prompt`` (the code the model continues: HumanEval's signature
and docstring; empty for MBPP's natural-language task), ``user_prompt`` (the chat turn) and
``assistant_prefix`` (text the assistant turn starts with, EvalPlus's prefill).
"""

from __future__ import annotations

import ast
import gzip
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xcoder.extract import completion_text, extract_code, strip_reasoning
from xcoder.problem import Problem, ProblemFormatError

# EvalPlus's instruct convention (evalplus codegen, our wording kept to theirs since the exact text
# is part of the benchmark protocol): the problem in a fence, and an assistant turn prefilled up to
# an open python fence.
INSTRUCT_USER = (
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n"
    "```\n{prompt}\n```\n"
)
INSTRUCT_PREFIX = (
    "Below is a Python script with a self-contained function that solves the problem and passes "
    "corresponding tests:\n```python\n"
)
# Where a model that continues the prompt (no fence) has clearly stopped writing the function.
CONTINUATION_STOPS = ("\nif __name__", "\nprint(", "\nassert ", "\n```")


def read_rows(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a JSONL file (``.gz`` read transparently) or of a JSON array, with ``file:line``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"benchmark file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    if text.lstrip().startswith("["):  # sanitized-mbpp.json is one array
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProblemFormatError(f"{path}: invalid JSON ({exc})") from None
        for i, row in enumerate(rows):
            yield f"{path}[{i}]", row
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"{path}:{lineno}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise ProblemFormatError(f"{path}:{lineno}: invalid JSON ({exc})") from None


def need(row: Any, where: str, *names: str) -> None:
    if not isinstance(row, dict):
        raise ProblemFormatError(f"{where}: expected a JSON object")
    missing = [n for n in names if n not in row]
    if missing:
        raise ProblemFormatError(f"{where}: missing field(s) {', '.join(missing)}")


def unit_test_problem(
    question_id: str,
    test_file: str,
    *,
    benchmark: str,
    entry_point: str | None,
    code_prompt: str,
    user_prompt: str,
    assistant_prefix: str = "",
    question_content: str = "",
    **metadata: Any,
) -> Problem:
    """A ``unittest``-kind problem: the judge saves the program as ``solution.py`` and runs
    ``test_file`` beside it with pytest (``from solution import *`` in front)."""
    try:
        ast.parse(test_file)
    except SyntaxError as exc:
        raise ProblemFormatError(f"{question_id}: the generated test file does not parse ({exc})") from None
    meta = {
        "benchmark": benchmark,
        "entry_point": entry_point,
        "code_prompt": code_prompt,
        "user_prompt": user_prompt,
        "assistant_prefix": assistant_prefix,
        **metadata,
    }
    kwargs: dict[str, Any] = {}
    if "test_file" in Problem.__dataclass_fields__:
        kwargs["test_file"] = test_file
    else:  # a core without the unittest kind: keep the file where the runner can still find it
        meta["test_file"] = test_file
    return Problem(
        question_id=question_id,
        tests=[],
        question_content=question_content or user_prompt,
        question_title=question_id,
        platform=benchmark,
        difficulty="",
        metadata=meta,
        **kwargs,
    )


def unit_test_file(problem: Problem) -> str | None:
    return getattr(problem, "test_file", None) or problem.metadata.get("test_file")


# --------------------------------------------------------------------------------------------
# Completion -> program


def _parses(text: str) -> bool:
    """Whether ``text`` compiles (not only parses: ``return`` at top level parses but is an error)."""
    try:
        compile(text, "<program>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def defines(code: str, name: str | None) -> bool:
    """Whether ``code`` parses and defines ``name`` at top level (a function or class)."""
    if not name:
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name
        for node in tree.body
    )


def cut_continuation(text: str) -> str:
    """A prompt continuation up to where the function has clearly ended (EvalPlus's stop list,
    without ``\\ndef``: helpers written after the body are kept)."""
    cut = len(text)
    for stop in CONTINUATION_STOPS:
        at = text.find(stop)
        if at != -1:
            cut = min(cut, at)
    return text[:cut]


def assemble(code_prompt: str, code: str, entry_point: str | None) -> str:
    """The program to judge. A complete function (it defines the entry point) is judged after
    the prompt's own code (imports and helpers such as HumanEval/10's ``is_palindrome``; the
    prompt's empty stub is then redefined). Anything else is a body that continues the prompt:
    as written, or re-indented when the model left the indentation out."""
    prompt = code_prompt.rstrip() + "\n" if code_prompt.strip() else ""
    if defines(code, entry_point) or not prompt:
        return f"{prompt}\n{code}\n" if prompt else code
    as_is = prompt + code
    if _parses(as_is):
        return as_is
    indented = prompt + textwrap.indent(textwrap.dedent(code).strip("\n"), "    ") + "\n"
    return indented if _parses(indented) else as_is


def extract_program(problem: Problem, output: str, code: str | None = None, mode: str = "last") -> str | None:
    """The program of one sample of a benchmark problem: the given ``code`` (a samples file's
    completion or solution), else the chosen fenced block of ``output``, else the answer text
    itself when it is Python that continues the prompt (a base model, or a prefill the model kept
    writing in). None when there is no code."""
    meta = problem.metadata
    if code is None:
        code = extract_code(output, mode=mode)  # type: ignore[arg-type]
    if code is None:
        text = completion_text(output)
        text = strip_reasoning(text) if text is not None else None
        if text and text.strip():
            body = cut_continuation(text)
            prompt = meta.get("code_prompt", "")
            if _parses(body) or _parses(prompt + body):
                code = body
    if code is None or not code.strip():
        return None
    program = assemble(meta.get("code_prompt", ""), code, meta.get("entry_point"))
    suffix = meta.get("solution_suffix")  # MBPP's setup code, which its functions may use (one namespace there)
    return f"{program.rstrip()}\n\n{suffix}\n" if suffix else program
