"""Training rows straight from the task families, for recipes that need small, exactly known data
(``recipes/tiny/data``): SFT chats and GRPO rows, each judged before it is written.

Unlike the demo pipeline (records -> ``verify`` -> ``filter`` -> ``export``), these rows take their
expected outputs from the family's reference body run in this process on the generated argument
values (our own code, as for the statements' examples), and then the reference *program* of the
row's style is run on every test by the judge: a row whose program fails is a family bug and aborts.

Row layouts (what ``xcoder.train.sft`` and ``xcoder.train.grpo`` read):

* ``sft`` — ``messages`` (the prompt, then the reference program in one fenced block as the
  assistant turn), ``question_id``, ``question_content``, ``starter_code``, ``input_output``
  (X-Coder/TACO JSON) and the bare ``solution``;
* ``rl`` — ``prompt`` (chat messages), ``input_output``, ``question_id``, ``difficulty`` and the
  reference ``solution`` (metadata; the trainer never shows it); with it come *warm-up* rows: each
  RL prompt with its reference answer as an SFT chat (``messages``), so a tiny policy can be taught
  to solve the problems sometimes before GRPO.

Prompts: ``lcb`` is the LiveCodeBench prompt of the full statement (``xcoder.prompts``, what eval
uses); ``brief`` is one short user turn (the legend, the input layout or the method to write, and
the answer format), for models and budgets too small for whole statements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from data_gen.procedural.family import FamilyError
from data_gen.procedural.generate import Instance
from data_gen.procedural.styles import codeforces_input, display_names, fill
from xcoder.config import ConfigError, help_field
from xcoder.problem import Problem, TestCase

ROW_KINDS = ("sft", "rl")
PROMPT_KINDS = ("lcb", "brief")
ANSWER_HINT = "Answer with one ```python code block."


@dataclass
class RowsConfig:
    """How instances become rows (what to sample is :class:`~data_gen.procedural.ProceduralConfig`)."""

    rows: str = help_field("Row layout: 'sft' (chats) or 'rl' (prompt + tests, with SFT warm-up rows).", default="sft")
    prompt: str = help_field(
        "Prompt: 'lcb' (LiveCodeBench prompt of the full statement) or 'brief' (one short user turn).", default="lcb"
    )
    system_prompt: str | None = help_field(
        "System turn of 'lcb' prompts ('default': xcoder.prompts', None or 'none': no system turn).", default="default"
    )

    def __post_init__(self) -> None:
        if self.system_prompt == "none":
            self.system_prompt = None
        if self.rows not in ROW_KINDS:
            raise ConfigError(f"rows must be one of {list(ROW_KINDS)}, got {self.rows!r}")
        if self.prompt not in PROMPT_KINDS:
            raise ConfigError(f"prompt must be one of {list(PROMPT_KINDS)}, got {self.prompt!r}")


def instance_problem(inst: Instance) -> Problem:
    """The instance with its examples and generated tests, expected outputs from the reference
    body run in this process."""
    family = inst.family
    tests = [TestCase(e.input, e.output) for e in inst.examples]
    for scale, text, seed in inst.tests:
        values = family.generate(inst.params, scale, seed)
        if family.test_input(inst.style, values) != text:
            raise FamilyError(f"family {family.name}: input of seed {seed} is not reproducible")
        tests.append(TestCase(text, family.test_output(inst.style, family.solve(values))))
    return inst.to_problem(tests)


def brief_prompt(inst: Instance) -> str:
    """One short paragraph: the instance's legend, then how the input comes (stdin styles) or which
    method to write (LeetCode style), then the answer format."""
    family = inst.family
    names = display_names(family, inst.style, inst.params)
    legend = fill(family.phrasings[inst.phrasing][1], names, f"family {family.name} phrasing {inst.phrasing}")
    if inst.style == "leetcode":
        how = f"Write class Solution with the method {family.signature().removesuffix(':')}."
    else:
        how = codeforces_input(family, names)
    return f"{legend} {how} {ANSWER_HINT}"


def prompt_messages(inst: Instance, problem: Problem, cfg: RowsConfig) -> list[dict[str, str]]:
    if cfg.prompt == "brief":
        return [{"role": "user", "content": brief_prompt(inst)}]
    from xcoder.prompts import DEFAULT_SYSTEM_PROMPT, build_messages

    system = DEFAULT_SYSTEM_PROMPT if cfg.system_prompt == "default" else cfg.system_prompt
    return build_messages(problem, system_prompt=system)


def answer(code: str) -> dict[str, str]:
    """The assistant turn: the program in one fenced block."""
    return {"role": "assistant", "content": f"```python\n{code.rstrip()}\n```"}


def make_rows(instances: Sequence[Instance], cfg: RowsConfig) -> tuple[list[dict[str, Any]], list[Problem], list[str]]:
    """``(rows, problems, programs)``: one row per instance in ``cfg.rows`` layout, with the problem
    and reference program each row must pass (see :func:`verify_rows`)."""
    rows, problems, programs = [], [], []
    for inst in instances:
        problem = instance_problem(inst)
        code = inst.family.code(inst.style)
        messages = prompt_messages(inst, problem, cfg)
        io = json.dumps(problem.to_input_output())
        if cfg.rows == "sft":
            row = {
                "question_id": inst.id,
                "messages": [*messages, answer(code)],
                "question_content": inst.statement,
                "starter_code": inst.starter_code,
                "input_output": io,
                "solution": code,
            }
        else:
            row = {
                "question_id": inst.id,
                "prompt": messages,
                "input_output": io,
                "difficulty": problem.difficulty,
                "solution": code,
            }
        rows.append(row)
        problems.append(problem)
        programs.append(code)
    return rows, problems, programs


def warmup_rows(rl_rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """SFT chats of RL rows: each prompt with its reference answer."""
    return [{"messages": [*row["prompt"], answer(row["solution"])]} for row in rl_rows]


def verify_rows(problems: Sequence[Problem], programs: Sequence[str], judge: Any, progress: bool = False) -> None:
    """Judge every reference program on its row's tests; raise :class:`FamilyError` naming the first
    row that is not accepted (a row must never carry a wrong label)."""
    results = judge.judge_batch(list(zip(problems, programs)), progress=progress, description="verifying rows")
    for problem, result in zip(problems, results):
        if not result.accepted:
            failed = next((t for t in result.tests if t.verdict.value not in ("accepted", "skipped")), None)
            detail = result.error or (f"{failed.message} {failed.stderr}".strip() if failed else "")
            raise FamilyError(
                f"row {problem.question_id} (family {problem.metadata.get('family', '?')}): the "
                f"reference program gets {result.verdict.value}: {detail[-300:]}"
            )


__all__ = [
    "ANSWER_HINT",
    "PROMPT_KINDS",
    "ROW_KINDS",
    "RowsConfig",
    "brief_prompt",
    "instance_problem",
    "make_rows",
    "verify_rows",
    "warmup_rows",
]
