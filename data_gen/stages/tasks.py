"""Stage 4, ``tasks``: turn feature configs into problem statements, in two LLM steps per task.

Step 1 (``task_select.md``) chooses a mutually compatible feature subset of the config, an
integration strategy and a scenario. Step 2 (``task_<style>.md``) writes a hint-free statement in
one style — Codeforces / LeetCode / AtCoder, drawn per task with the ``tasks.styles`` weights
(0.7 / 0.15 / 0.15 by default). The model answers with fields (legend, formats, constraints,
examples, and for LeetCode ``func_name``/``parameters``/``starter_code``); we render the statement
ourselves, so every task of a style has the same layout and the examples are checked to be well
formed (LeetCode examples are re-encoded in LiveCodeBench's one-JSON-value-per-argument form).
"""

from __future__ import annotations

import ast
import json
import random
import re
from collections.abc import Iterable
from typing import Any

from data_gen.answers import as_text, encode_args, json_answer, with_newline
from data_gen.feature_tree import leaf_count, normalise_tree
from data_gen.records import Example, FeatureConfig, Provenance, Task
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from xcoder.hashing import make_id

_HINT = re.compile(r"(?im)^[\s#*_>-]*(hints?|approach|solution idea|how to solve)\b[\s*_]*[:.]?")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def pick_style(weights: dict[str, float], rng: random.Random) -> str:
    names = sorted(n for n, w in weights.items() if w > 0)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


class TasksStage(Stage):
    name = "tasks"
    inputs = ("tree",)
    uses_llm = True

    def items(self) -> Iterable[WorkItem]:
        cfg = self.config.tasks
        configs = sorted(self.ctx.read("tree", FeatureConfig), key=lambda c: (c.idx, c.id))
        count = 0
        for variant in range(cfg.per_config):
            for config in configs:
                if cfg.max_tasks is not None and count >= cfg.max_tasks:
                    return
                count += 1
                yield WorkItem(f"{config.id}:{variant}", (config, variant))

    async def process(self, item: WorkItem) -> ItemResult:
        config, variant = item.payload
        cfg = self.config.tasks
        style = pick_style(cfg.styles, random.Random(self.ctx.seed_for("style", item.key)))

        select = self.ctx.prompt("task_select")
        first = await self.ctx.chat(
            [
                {
                    "role": "user",
                    "content": select.render(
                        features=json.dumps(config.features, indent=1, ensure_ascii=False),
                        mandatory=", ".join(config.mandatory_features) or "(none)",
                        style=style,
                    ),
                }
            ],
            cfg,
            seed_parts=[item.key, "select"],
            json=True,
        )
        plan = json_answer(first, what="select")
        selected = normalise_tree(plan.get("selected_features"))
        strategy, scenario = plan.get("integration_strategy"), plan.get("scenario")
        if not isinstance(selected, dict) or leaf_count(selected) == 0:
            raise Drop("select:no_features")
        if not isinstance(strategy, str) or not strategy.strip() or not isinstance(scenario, str):
            raise Drop("select:no_strategy")
        difficulty = plan.get("difficulty") if plan.get("difficulty") in ("easy", "medium", "hard") else "medium"

        write = self.ctx.prompt(f"task_{style}")
        second = await self.ctx.chat(
            [
                {
                    "role": "user",
                    "content": write.render(
                        features=json.dumps(selected, ensure_ascii=False),
                        integration_strategy=strategy.strip(),
                        scenario=scenario.strip(),
                        difficulty=difficulty,
                        min_examples=cfg.min_examples,
                    ),
                }
            ],
            cfg,
            seed_parts=[item.key, "write", style],
            json=True,
        )
        answer = json_answer(second, what="write")
        task_id = make_id("task", item.key)
        if style == "leetcode":
            fields = build_leetcode(answer, cfg.min_examples)
        else:
            fields = build_stdin(answer, style, cfg.min_examples)
        if _HINT.search(fields["question"]):
            raise Drop("write:hint_in_statement")
        task = Task(
            id=task_id,
            style=style,
            features=selected,
            integration_strategy=strategy.strip(),
            scenario=scenario.strip(),
            config_id=config.id,
            **fields,
            provenance=Provenance(
                stage=self.name,
                parents=[config.id],
                model=second.model,
                prompt=write.name,
                prompt_sha=write.sha,
                request_keys=[k for k in (first.key, second.key) if k],
                seed=self.ctx.seed_for("style", item.key),
                extra={
                    "select_prompt": select.name,
                    "select_prompt_sha": select.sha,
                    "variant": variant,
                    "planned_difficulty": difficulty,
                },
            ),
        )
        return ItemResult([task])


# ------------------------------------------------------------------------------------------------
# Statements


def _text(answer: dict[str, Any], key: str, required: bool = True) -> str:
    value = answer.get(key)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "\n".join(value)
    if not isinstance(value, str) or (required and not value.strip()):
        if required:
            raise Drop(f"write:missing_{key}")
        return ""
    return value.strip()


def _constraints(answer: dict[str, Any]) -> list[str]:
    value = answer.get("constraints")
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Drop("write:missing_constraints")
    return [v.strip().lstrip("-* ").strip() for v in value if v.strip()]


def build_stdin(answer: dict[str, Any], style: str, min_examples: int) -> dict[str, Any]:
    """Task fields of a Codeforces/AtCoder answer, with the rendered statement."""
    title = _text(answer, "title")
    legend = _text(answer, "legend")
    input_format, output_format = _text(answer, "input_format"), _text(answer, "output_format")
    constraints = _constraints(answer)
    notes = _text(answer, "notes", required=False)
    examples = []
    for raw in answer.get("examples") or []:
        if not isinstance(raw, dict):
            continue
        given, expected = as_text(raw.get("input")), as_text(raw.get("output"))
        if given is None or expected is None or not given.strip() or not expected.strip():
            continue
        explanation = raw.get("explanation") if isinstance(raw.get("explanation"), str) else ""
        examples.append(Example(with_newline(given), with_newline(expected), explanation.strip()))
    if len(examples) < min_examples:
        raise Drop("write:too_few_examples")
    bullets = "\n".join(f"- {c}" for c in constraints)
    if style == "atcoder":
        parts = [
            legend,
            f"## Constraints\n\n{bullets}",
            f"## Input\n\n{input_format}",
            f"## Output\n\n{output_format}",
        ]
        for i, ex in enumerate(examples, 1):
            parts.append(
                f"## Sample Input {i}\n\n```\n{ex.input.rstrip()}\n```\n\n"
                f"## Sample Output {i}\n\n```\n{ex.output.rstrip()}\n```"
            )
            if ex.explanation:
                parts.append(ex.explanation)
    else:
        parts = [
            legend,
            f"**Input**\n\n{input_format}",
            f"**Output**\n\n{output_format}",
            f"**Constraints**\n\n{bullets}",
            "**Examples**",
        ]
        for i, ex in enumerate(examples, 1):
            block = f"Input {i}:\n```\n{ex.input.rstrip()}\n```\nOutput {i}:\n```\n{ex.output.rstrip()}\n```"
            if ex.explanation:
                block += f"\n\nExplanation: {ex.explanation}"
            parts.append(block)
    if notes:
        parts.append(f"**Note**\n\n{notes}" if style != "atcoder" else f"## Notes\n\n{notes}")
    return {
        "title": title,
        "question": "\n\n".join(parts).strip() + "\n",
        "examples": examples,
        "multi_answer": answer.get("multiple_answers") is True,
    }


def method_parameters(starter_code: str, fn_name: str) -> list[str] | None:
    """Parameter names (without ``self``) of ``Solution.<fn_name>`` in the starter code, or None."""
    code = starter_code.rstrip()
    if code.endswith(":"):
        code += "\n        pass"
    try:
        tree = ast.parse(code)
    except SyntaxError:
        try:
            tree = ast.parse(code + "\n        pass")
        except SyntaxError:
            return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Solution":
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == fn_name:
                    names = [a.arg for a in fn.args.args]
                    return names[1:] if names and names[0] == "self" else names
    return None


def _render_value(value: Any) -> str:
    return (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if not isinstance(value, str)
        else json.dumps(value)
    )


def build_leetcode(answer: dict[str, Any], min_examples: int) -> dict[str, Any]:
    """Task fields of a LeetCode answer: statement, fn_name, starter code, encoded examples."""
    title = _text(answer, "title")
    description = _text(answer, "description")
    fn_name = answer.get("func_name")
    if not isinstance(fn_name, str) or not _IDENTIFIER.match(fn_name):
        raise Drop("write:bad_func_name")
    starter = answer.get("starter_code")
    if not isinstance(starter, str) or "class Solution" not in starter:
        raise Drop("write:bad_starter_code")
    params = method_parameters(starter, fn_name)
    if params is None:
        raise Drop("write:starter_code_without_method")
    declared = answer.get("parameters")
    if isinstance(declared, list) and declared and declared != params:
        raise Drop("write:parameters_mismatch")
    if not params:
        raise Drop("write:no_parameters")
    constraints = _constraints(answer)
    examples, shown = [], []
    for raw in answer.get("examples") or []:
        if not isinstance(raw, dict) or "input" not in raw or "output" not in raw:
            continue
        encoded = encode_args(raw["input"], params)
        if encoded is None:
            continue
        args = [json.loads(line) for line in encoded.split("\n")]
        explanation = raw.get("explanation") if isinstance(raw.get("explanation"), str) else ""
        examples.append(Example(encoded, json.dumps(raw["output"], ensure_ascii=False), explanation.strip()))
        shown.append(
            (
                ", ".join(f"{p} = {_render_value(a)}" for p, a in zip(params, args)),
                _render_value(raw["output"]),
                explanation.strip(),
            )
        )
    if len(examples) < min_examples:
        raise Drop("write:too_few_examples")
    parts = [description]
    for i, (given, expected, explanation) in enumerate(shown, 1):
        block = f"Example {i}:\n\nInput: {given}\nOutput: {expected}"
        if explanation:
            block += f"\nExplanation: {explanation}"
        parts.append(block)
    parts.append("Constraints:\n\n" + "\n".join(f"- {c}" for c in constraints))
    starter_code = starter.rstrip() + "\n"
    return {
        "title": title,
        "question": "\n\n".join(parts).strip() + "\n",
        "examples": examples,
        "fn_name": fn_name,
        "starter_code": starter_code,
        "multi_answer": answer.get("multiple_answers") is True,
    }


STAGE = TasksStage
