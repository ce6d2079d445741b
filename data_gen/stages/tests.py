"""Stage 6, ``tests``: test inputs for every task, without expected outputs (``verify`` votes them).

Three sources, in order:

1. the statement's examples (``kind="sample"``);
2. inputs the LLM writes directly, typical and edge cases (``test_inputs.md``; ``kind="llm"``);
3. an LLM-written input-generator program using ``cyaron`` (``test_generator.md``), run in the
   judge's sandbox — like any untrusted code — at each configured scale (small ... stress) with
   several seeds; a generator is just a program whose stdout is the input (``kind="generator"``).

An optional LLM-written validator (``test_validator.md``) then rejects inputs that break the
constraints; a validator that rejects the statement's own examples is distrusted and ignored.
Inputs are de-duplicated and capped at ``tests.max_inputs`` (examples first, then the other
sources interleaved). What was dropped and why is kept in the record's provenance.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from typing import Any

from data_gen.answers import as_text, code_answer, encode_args, json_answer, valid_functional_input, with_newline
from data_gen.records import GeneratorProgram, Provenance, Task, TaskTestInputs, TestInput
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.tasks import method_parameters
from xcoder.hashing import digest, make_id
from xcoder.llm import LLMError

STDIN_INSTRUCTIONS = "Give each input as the exact text of standard input (a JSON string, with \\n between lines)."
FUNCTIONAL_INSTRUCTIONS = "Give each input as a JSON object mapping every argument name ({params}) to its value."
GEN_STDIN = "The output is the exact text of standard input."
GEN_FUNCTIONAL = (
    "The solution is a function called with the arguments {params}; print each argument "
    "as one line of JSON (json.dumps), in this order, and nothing else."
)
VAL_STDIN = ""
VAL_FUNCTIONAL = "The input holds the function arguments {params}, one JSON value per line, in this order."


class TestsStage(Stage):
    __test__ = False
    name = "tests"
    inputs = ("tasks",)
    uses_llm = True
    uses_judge = True

    def items(self) -> Iterable[WorkItem]:
        for task in self.ctx.read("tasks", Task):
            yield WorkItem(task.id, task)

    async def process(self, item: WorkItem) -> ItemResult:
        task: Task = item.payload
        cfg = self.config.tests
        params = method_parameters(task.starter_code, task.fn_name) if task.is_functional else None
        if task.is_functional and not params:
            raise Drop("task_without_parameters")
        dropped: Counter = Counter()
        programs: list[GeneratorProgram] = []
        keys: list[str] = []

        samples = [
            TestInput(make_id("in", task.id, "sample", i), ex.input, kind="sample", scale="sample")
            for i, ex in enumerate(task.examples)
        ]
        llm_inputs: list[TestInput] = []
        if cfg.llm_inputs > 0:
            llm_inputs = await self._llm_inputs(task, params, dropped, keys)
        generated: list[list[TestInput]] = []
        if cfg.generator:
            generated = await self._generated(task, params, dropped, keys, programs)

        pool = samples + _interleave([llm_inputs] + generated)
        if cfg.validator:
            pool = await self._validate(task, params, pool, samples, dropped, keys, programs)
        kept: list[TestInput] = []
        seen: set[str] = set()
        for test in pool:
            canon = "\n".join(line.rstrip() for line in test.input.strip().split("\n"))
            if canon in seen:
                dropped["duplicate"] += 1
                continue
            if len(kept) >= cfg.max_inputs:
                dropped["over_max_inputs"] += 1
                continue
            seen.add(canon)
            kept.append(test)
        if len(kept) <= len([t for t in kept if t.kind == "sample"]):
            raise Drop("no_inputs_beyond_examples")
        record = TaskTestInputs(
            id=make_id("tests", task.id),
            task_id=task.id,
            inputs=kept,
            programs=programs,
            provenance=Provenance(
                stage=self.name,
                parents=[task.id],
                model=self.ctx.model(cfg),
                request_keys=keys,
                extra={
                    "dropped_inputs": dict(dropped),
                    "by_kind": dict(Counter(t.kind for t in kept)),
                    "prompts": {
                        n: self.ctx.prompt(n).sha for n in ("test_inputs", "test_generator", "test_validator")
                    },
                },
            ),
        )
        return ItemResult([record])

    # -- sources ---------------------------------------------------------------------------------

    async def _llm_inputs(
        self, task: Task, params: list[str] | None, dropped: Counter, keys: list[str]
    ) -> list[TestInput]:
        cfg = self.config.tests
        prompt = self.ctx.prompt("test_inputs")
        instructions = FUNCTIONAL_INSTRUCTIONS.format(params=", ".join(params)) if params else STDIN_INSTRUCTIONS
        try:
            result = await self.ctx.chat(
                [
                    {
                        "role": "user",
                        "content": prompt.render(
                            question=task.question, count=cfg.llm_inputs, input_instructions=instructions
                        ),
                    }
                ],
                cfg,
                seed_parts=[task.id, "inputs"],
                json=True,
            )
        except LLMError:  # an LLM failure here costs this source only
            dropped["llm_inputs:llm_error"] += 1
            return []
        if result.key:
            keys.append(result.key)
        try:
            answer = json_answer(result, what="llm_inputs")
        except Drop as d:
            dropped[d.reason] += 1
            return []
        out = []
        tests = answer.get("tests")
        for i, raw in enumerate(tests if isinstance(tests, list) else []):
            value = raw.get("input") if isinstance(raw, dict) else None
            kind = raw.get("kind") if isinstance(raw, dict) else None
            text = encode_args(value, params) if params else as_text(value)
            if text is None or not text.strip():
                dropped["llm_inputs:malformed"] += 1
                continue
            out.append(
                TestInput(
                    make_id("in", task.id, "llm", i),
                    with_newline(text) if not params else text,
                    kind="llm",
                    scale="edge" if kind == "edge" else "small",
                )
            )
        return out

    async def _program(
        self,
        task: Task,
        name: str,
        instructions: str,
        keys: list[str],
        dropped: Counter,
        programs: list[GeneratorProgram],
        role: str,
    ) -> GeneratorProgram | None:
        prompt = self.ctx.prompt(name)
        try:
            result = await self.ctx.chat(
                [{"role": "user", "content": prompt.render(question=task.question, input_instructions=instructions)}],
                self.config.tests,
                seed_parts=[task.id, role],
            )
        except LLMError:
            dropped[f"{role}:llm_error"] += 1
            return None
        if result.key:
            keys.append(result.key)
        try:
            code = code_answer(result, what=role)
        except Drop as d:
            dropped[d.reason] += 1
            return None
        program = GeneratorProgram(code=code, role=role, sha=digest(code, 12))
        programs.append(program)
        return program

    async def _generated(
        self, task: Task, params: list[str] | None, dropped: Counter, keys: list[str], programs: list[GeneratorProgram]
    ) -> list[list[TestInput]]:
        cfg = self.config.tests
        instructions = GEN_FUNCTIONAL.format(params=", ".join(params)) if params else GEN_STDIN
        program = await self._program(task, "test_generator", instructions, keys, dropped, programs, "generator")
        if program is None:
            return []
        runs = [
            (scale, self.ctx.seed_for("generator", task.id, scale, k))
            for scale in cfg.scales
            for k in range(cfg.seeds_per_scale)
        ]
        outputs = await asyncio.to_thread(
            self.ctx.judge.run_outputs,
            program.code,
            [f"{scale} {seed}\n" for scale, seed in runs],
            None,
            timeout=cfg.generator_timeout,
        )
        by_scale: dict[str, list[TestInput]] = {}
        for (scale, seed), run in zip(runs, outputs):
            program.runs += 1
            if not run.ok:
                program.failures += 1
                program.error = program.error or f"{run.verdict.value}: {run.message}"[:300]
                dropped[f"generator:{run.verdict.value}"] += 1
                continue
            text = run.output or ""
            if not text.strip():
                dropped["generator:empty_output"] += 1
                continue
            if len(text) > cfg.max_input_chars:
                dropped["generator:input_too_large"] += 1
                continue
            if params and not valid_functional_input(text, len(params)):
                dropped["generator:malformed_arguments"] += 1
                continue
            text = text.strip("\n") if params else with_newline(text)
            by_scale.setdefault(scale, []).append(
                TestInput(
                    make_id("in", task.id, "gen", scale, seed),
                    text,
                    kind="generator",
                    scale=scale,
                    seed=seed,
                    generator=program.sha,
                )
            )
        return [by_scale[s] for s in cfg.scales if s in by_scale]

    async def _validate(
        self,
        task: Task,
        params: list[str] | None,
        pool: list[TestInput],
        samples: list[TestInput],
        dropped: Counter,
        keys: list[str],
        programs: list[GeneratorProgram],
    ) -> list[TestInput]:
        instructions = VAL_FUNCTIONAL.format(params=", ".join(params)) if params else VAL_STDIN
        program = await self._program(task, "test_validator", instructions, keys, dropped, programs, "validator")
        if program is None:
            return pool
        outputs = await asyncio.to_thread(
            self.ctx.judge.run_outputs,
            program.code,
            [t.input for t in pool],
            None,
            timeout=self.config.tests.generator_timeout,
        )
        valid = [run.ok and (run.output or "").strip().startswith("VALID") for run in outputs]
        program.runs, program.failures = len(outputs), sum(not run.ok for run in outputs)
        sample_ok = [v for t, v in zip(pool, valid) if t.kind == "sample"]
        if samples and sum(sample_ok) < len(sample_ok):
            program.error = "rejected the statement's own examples; ignored"
            dropped["validator:rejected_examples"] += 1
            return pool
        if not all(valid):
            dropped["validator:invalid_input"] += valid.count(False)
        return [t for t, ok in zip(pool, valid) if ok]


def _interleave(groups: list[list[Any]]) -> list[Any]:
    """Round-robin over the groups, so a cap keeps some of every source and scale."""
    out: list[Any] = []
    for i in range(max((len(g) for g in groups), default=0)):
        out += [g[i] for g in groups if i < len(g)]
    return out


STAGE = TestsStage
