"""Stage 6, ``tests``: test inputs for every task, without expected outputs (``verify`` votes them).

Three sources, in order:

1. the statement's examples (``kind="sample"``);
2. inputs the LLM writes directly, typical and edge cases (``test_inputs.md``; ``kind="llm"``);
3. an LLM-written input-generator program using ``cyaron`` (``test_generator.md``), run in the
   judge's sandbox — like any untrusted code — at each configured scale (small ... stress) with
   several seeds; a generator is just a program whose stdout is the input (``kind="generator"``).

An LLM-written validator (``test_validator.md``, on by default) then rejects inputs that break the
constraints; a validator that rejects the statement's own examples is distrusted and ignored.

Every program the model writes is tried before it is used: a generator that crashes, times out or
prints nothing, a validator that crashes or rejects the statement's examples, a checker that
rejects the examples' outputs or accepts corrupted ones, and a brute-force solver that fails the
examples are sent back with the error (``program_repair.md``), at most ``tests.repair_rounds``
times; repaired and dropped programs are counted as notes in the stage report. Two more programs
are asked for here and used by ``verify``: a checker for tasks the statement marks multi-answer
(``checker.md``; such a task without a trusted checker is dropped) and an independently prompted
brute-force solver (``brute_force.md``).
Inputs are de-duplicated and capped at ``tests.max_inputs`` (examples first, then the other
sources interleaved). What was dropped and why is kept in the record's provenance.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from data_gen.answers import as_text, code_answer, encode_args, json_answer, valid_functional_input, with_newline
from data_gen.checks.suite import corruptions
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
CHECK_STDIN = "`input`, `output` and `reference` are the exact texts of standard input and standard output."
CHECK_FUNCTIONAL = (
    "`input` holds the function arguments {params}, one JSON value per line; `output` and "
    "`reference` are JSON texts of return values."
)
BRUTE_STDIN = "Read standard input and write standard output exactly as the statement says."
BRUTE_FUNCTIONAL = "Write it as the method `{fn}` of this class:\n\n```python\n{starter}\n```"
_SLOW = re.compile(r"SLOW AT LIMITS:\s*\**\s*(yes|no)", re.IGNORECASE)


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
        failures: Counter = Counter()  # the checker's and brute force's LLM failures (notes, not inputs)
        if task.multi_answer and cfg.checker:
            checker = await self._checker(task, params, keys, failures, programs)
            if checker is None or checker.error:
                raise Drop("checker:untrusted")
        if cfg.brute_force:
            await self._brute_force(task, params, keys, failures, programs)
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
        return ItemResult([record], notes=program_notes(programs) + failures)

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

    async def _develop(
        self,
        task: Task,
        name: str,
        values: dict[str, Any],
        role: str,
        keys: list[str],
        dropped: Counter,
        programs: list[GeneratorProgram],
        attempt: Callable[[GeneratorProgram, str], Awaitable[str]],
    ) -> GeneratorProgram | None:
        """Ask for a program and try it with ``attempt`` (which fills the program's run counts and
        returns an error, "" when it works); while it fails and ``tests.repair_rounds`` allow, send it
        back with the error. The last version is returned, its ``error`` set when it never worked."""
        prompt = self.ctx.prompt(name)
        base = prompt.render(**values)
        program: GeneratorProgram | None = None
        for round_ in range(self.config.tests.repair_rounds + 1):
            content = base
            if program is not None:
                content += self.ctx.prompt("program_repair").render(code=program.code.rstrip(), error=program.error)
            seed_parts = [task.id, role] if program is None else [task.id, role, "repair", round_]
            try:
                result = await self.ctx.chat(
                    [{"role": "user", "content": content}], self.config.tests, seed_parts=seed_parts
                )
            except LLMError:
                dropped[f"{role}:llm_error"] += 1
                break
            if result.key:
                keys.append(result.key)
            try:
                code = code_answer(result, what=role)
            except Drop as d:
                if program is None:
                    dropped[d.reason] += 1
                    return None
                break  # a repair answer without a program: keep the last one
            program = GeneratorProgram(code=code, role=role, sha=digest(code, 12), repairs=round_)
            program.error = await attempt(program, result.texts[0])
            if not program.error:
                break
        if program is None:
            return None
        programs.append(program)
        return program

    async def _generated(
        self, task: Task, params: list[str] | None, dropped: Counter, keys: list[str], programs: list[GeneratorProgram]
    ) -> list[list[TestInput]]:
        cfg = self.config.tests
        instructions = GEN_FUNCTIONAL.format(params=", ".join(params)) if params else GEN_STDIN
        runs = [
            (scale, self.ctx.seed_for("generator", task.id, scale, k))
            for scale in cfg.scales
            for k in range(cfg.seeds_per_scale)
        ]
        outcome: dict[str, Any] = {}

        async def attempt(program: GeneratorProgram, _text: str) -> str:
            outputs = await asyncio.to_thread(
                self.ctx.judge.run_outputs,
                program.code,
                [f"{scale} {seed}\n" for scale, seed in runs],
                None,
                timeout=cfg.generator_timeout,
            )
            lost: Counter = Counter()
            by_scale: dict[str, list[TestInput]] = {}
            first_error = ""
            for (scale, seed), run in zip(runs, outputs):
                program.runs += 1
                if not run.ok:
                    program.failures += 1
                    first_error = first_error or f"{run.verdict.value}: {run.message}"[:300]
                    lost[f"generator:{run.verdict.value}"] += 1
                    continue
                text = run.output or ""
                if not text.strip():
                    first_error = first_error or f"printed nothing for `{scale} {seed}`"
                    lost["generator:empty_output"] += 1
                    continue
                if len(text) > cfg.max_input_chars:
                    lost["generator:input_too_large"] += 1
                    continue
                if params and not valid_functional_input(text, len(params)):
                    lost["generator:malformed_arguments"] += 1
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
            outcome.update(lost=lost, by_scale=by_scale)
            return first_error

        program = await self._develop(
            task,
            "test_generator",
            {"question": task.question, "input_instructions": instructions},
            "generator",
            keys,
            dropped,
            programs,
            attempt,
        )
        if program is None or not outcome:
            return []
        dropped.update(outcome["lost"])
        return [outcome["by_scale"][s] for s in cfg.scales if s in outcome["by_scale"]]

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
        outcome: dict[str, Any] = {}

        async def attempt(program: GeneratorProgram, _text: str) -> str:
            outputs = await asyncio.to_thread(
                self.ctx.judge.run_outputs,
                program.code,
                [t.input for t in pool],
                None,
                timeout=self.config.tests.generator_timeout,
            )
            valid = [run.ok and (run.output or "").strip().startswith("VALID") for run in outputs]
            program.runs, program.failures = len(outputs), sum(not run.ok for run in outputs)
            outcome["valid"] = valid
            sample_ok = [v for t, v in zip(pool, valid) if t.kind == "sample"]
            if samples and sum(sample_ok) < len(sample_ok):
                bad = next(t for t, v in zip(pool, valid) if t.kind == "sample" and not v)
                outcome["rejects_examples"] = True
                return f"it rejected the statement's own example input {bad.input[:300]!r}"
            outcome["rejects_examples"] = False
            crashed = next((run for run in outputs if not run.ok), None)
            if crashed is not None:
                return f"{crashed.verdict.value}: {crashed.message or crashed.stderr[-300:]}"[:400]
            return ""

        program = await self._develop(
            task,
            "test_validator",
            {"question": task.question, "input_instructions": instructions},
            "validator",
            keys,
            dropped,
            programs,
            attempt,
        )
        if program is None or not outcome:
            return pool
        if outcome["rejects_examples"]:
            program.error = "rejected the statement's own examples; ignored"
            dropped["validator:rejected_examples"] += 1
            return pool
        program.error = ""  # crashes on some inputs after all repairs: those inputs count as invalid
        valid = outcome["valid"]
        if not all(valid):
            dropped["validator:invalid_input"] += valid.count(False)
        return [t for t, ok in zip(pool, valid) if ok]

    async def _checker(
        self, task: Task, params: list[str] | None, keys: list[str], dropped: Counter, programs: list[GeneratorProgram]
    ) -> GeneratorProgram | None:
        """A checker that accepts every example's own output and rejects its corruptions."""
        note = CHECK_FUNCTIONAL.format(params=", ".join(params)) if params else CHECK_STDIN
        trials = [(ex.input, ex.output, ex.output, True) for ex in task.examples]
        trials += [
            (ex.input, bad, ex.output, False)
            for ex in task.examples
            for bad in corruptions(ex.output, task.is_functional)
        ]

        async def attempt(program: GeneratorProgram, _text: str) -> str:
            verdicts = await asyncio.to_thread(
                run_checker,
                self.ctx.judge,
                program.code,
                [(i, o, r) for i, o, r, _ in trials],
                self.config.tests.generator_timeout,
            )
            program.runs, program.failures = len(verdicts), sum(v is None for v in verdicts)
            for (given, output, _, want), got in zip(trials, verdicts):
                if got is None:
                    return f"check() raised or did not return a bool for input {given[:200]!r}"
                if got != want:
                    what = "rejected the example's own output" if want else "accepted the wrong output"
                    return f"check() {what} {output[:200]!r} for input {given[:200]!r}"
            return ""

        return await self._develop(
            task,
            "checker",
            {"question": task.question, "format_note": note},
            "checker",
            keys,
            dropped,
            programs,
            attempt,
        )

    async def _brute_force(
        self, task: Task, params: list[str] | None, keys: list[str], dropped: Counter, programs: list[GeneratorProgram]
    ) -> GeneratorProgram | None:
        """An independently prompted naive solver that passes the statement's examples."""
        note = BRUTE_FUNCTIONAL.format(fn=task.fn_name, starter=task.starter_code.rstrip()) if params else BRUTE_STDIN
        problem = task.to_problem()
        problem.checker = None

        async def attempt(program: GeneratorProgram, text: str) -> str:
            slow = _SLOW.search(text)
            program.slow = slow is not None and slow.group(1).lower() == "yes"
            result = await asyncio.to_thread(
                self.ctx.judge.judge, problem, program.code, timeout=self.config.tests.generator_timeout
            )
            program.runs, program.failures = result.total, result.total - result.passed
            if result.accepted:
                return ""
            failed = next((t for t in result.tests if t.verdict.value != "accepted"), None)
            detail = failed.message if failed is not None else result.error
            return f"{result.verdict.value} on the statement's examples: {detail or ''}"[:400]

        return await self._develop(
            task,
            "brute_force",
            {"question": task.question, "format_note": note},
            "brute_force",
            keys,
            dropped,
            programs,
            attempt,
        )


def program_notes(programs: list[GeneratorProgram]) -> Counter:
    """Stage-report notes: ``<role>:repaired`` (works after a repair) and ``<role>:dropped`` (never
    worked; a generator only when none of its runs did)."""
    notes: Counter = Counter()
    for p in programs:
        failed = bool(p.error) and (p.role != "generator" or p.failures >= p.runs)
        if failed:
            notes[f"{p.role}:dropped"] += 1
        elif p.repairs and (not p.error or p.role == "generator"):
            notes[f"{p.role}:repaired"] += 1
    return notes


def run_checker(judge: Any, code: str, triples: list[tuple[str, str, str]], timeout: float) -> list[bool | None]:
    """``check(input, output, reference)`` of each triple, run in the judge's sandbox (None: it failed)."""
    if not triples:
        return []
    args = ["\n".join(json.dumps(x) for x in triple) for triple in triples]
    out: list[bool | None] = []
    for run in judge.run_outputs(code, args, "check", timeout=timeout):
        value = None
        if run.ok:
            try:
                value = json.loads(run.output or "null")
            except ValueError:
                value = None
        out.append(value if isinstance(value, bool) else None)
    return out


def _interleave(groups: list[list[Any]]) -> list[Any]:
    """Round-robin over the groups, so a cap keeps some of every source and scale."""
    out: list[Any] = []
    for i in range(max((len(g) for g in groups), default=0)):
        out += [g[i] for g in groups if i < len(g)]
    return out


STAGE = TestsStage
