"""Sample task instances from the families: training records and a held-out evaluation split.

Training tasks become exactly the records the SynthSmith stages write (``Task``, ``Solution``,
``TaskTestInputs``), so ``verify`` -> ``filter`` -> ``export`` run on them unchanged: the
candidates (reference, alternative correct bodies and plausible buggy ones) are voted on by the
judge like LLM samples, without their expected outputs being known to the pipeline.

The held-out split uses *unseen instances* (their own seed stream) with *unseen phrasings* (each
family's held-out legends, taken in turn so every one of them is asked equally often) in *unseen
framings* (each style's held-out layout), and its expected
outputs come from running the reference program in the judge; it is written as LiveCodeBench
``code_generation_lite`` rows that ``xcoder eval`` reads like the real benchmark.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from data_gen.procedural.families import AREA_DIFFICULTY, area_of, get_families
from data_gen.procedural.family import TEST_SCALES, Family, FamilyError
from data_gen.procedural.styles import STYLES, Example, framing_indices, phrasing_indices, render_statement
from data_gen.records import Example as ExampleRecord
from data_gen.records import Provenance, Solution, Task, TaskTestInputs, TestInput
from xcoder.config import help_field
from xcoder.hashing import derive_seed, digest, make_id
from xcoder.problem import Problem, TestCase

ROLES = ("reference", "alternative", "buggy")
HOLDOUT_DATE = "2025-01-01T00:00:00"  # held-out rows need a date; eval windows are not used on them


@dataclass
class ProceduralConfig:
    """What to sample. Everything is deterministic in ``seed``."""

    families: list[str] = help_field("Family names to use (empty: all registered families).", default_factory=list)
    train_tasks: int = help_field("Training task instances (families round-robin, styles by weight).", default=600)
    holdout_tasks: int = help_field(
        "Held-out evaluation problems (families round-robin, styles rotating).", default=60
    )
    styles: dict[str, float] = help_field(
        "Style mix of the training tasks (weights).",
        default_factory=lambda: {"codeforces": 0.4, "atcoder": 0.3, "leetcode": 0.3},
    )
    examples: int = help_field("Examples shown in each statement (they are also sample tests).", default=1)
    tests: dict[str, int] = help_field(
        "Generated test inputs per task, by scale.",
        default_factory=lambda: {"small": 2, "medium": 2, "large": 1, "edge": 1},
    )
    alternatives: int = help_field(
        "Alternative correct solutions per task as extra candidates (at most those a family has).", default=1
    )
    buggy: int = help_field("Buggy candidates per task (at most those a family has): noise for the vote.", default=2)
    seed: int = help_field("Seed of every random choice.", default=0)

    def __post_init__(self) -> None:
        bad = sorted(set(self.styles) - set(STYLES))
        if bad:
            raise FamilyError(f"procedural.styles: unknown style(s) {bad}; known: {list(STYLES)}")
        if sum(self.styles.values()) <= 0 or any(w < 0 for w in self.styles.values()):
            raise FamilyError(f"procedural.styles: weights must be >= 0 and not all 0, got {self.styles}")
        bad = sorted(set(self.tests) - set(TEST_SCALES))
        if bad:
            raise FamilyError(f"procedural.tests: unknown scale(s) {bad}; known: {list(TEST_SCALES)}")
        if self.examples < 1:
            raise FamilyError("procedural.examples must be >= 1 (statements need an example)")
        get_families(self.families)  # unknown names fail now


@dataclass
class Instance:
    """One sampled task: family, style, wording choices, parameters, examples, test inputs."""

    split: str
    index: int
    family: Family
    style: str
    phrasing: int
    framing: int
    params: dict[str, Any]
    title: str
    statement: str
    examples: list[Example]
    tests: list[tuple[str, str, int]]  # (scale, input text, seed)

    @property
    def id(self) -> str:
        return make_id("proc", self.split, self.index, self.family.name, self.style, self.statement)

    @property
    def fn_name(self) -> str | None:
        return self.family.fn if self.style == "leetcode" else None

    @property
    def starter_code(self) -> str:
        return self.family.starter_code() if self.style == "leetcode" else ""

    def to_problem(self, tests: list[TestCase], **fields: Any) -> Problem:
        """The instance as a judge problem with ``tests``; ``fields`` add or override Problem fields."""
        return Problem(
            **{
                "question_id": self.id,
                "tests": tests,
                "fn_name": self.fn_name,
                "starter_code": self.starter_code,
                "question_content": self.statement,
                "question_title": self.title,
                "platform": self.style,
                "difficulty": AREA_DIFFICULTY[area_of(self.family.name)],
                "num_public": len(self.examples),
                "metadata": {"family": self.family.name},
                **fields,
            }
        )

    def candidates(self, alternatives: int, buggy: int) -> list[tuple[str, str]]:
        """``(role, code)`` candidate programs: the reference first."""
        f = self.family
        out = [("reference", f.code(self.style))]
        out += [("alternative", f.code(self.style, b)) for b in f.alternatives[:alternatives]]
        out += [("buggy", f.code(self.style, b)) for b in f.buggy[:buggy]]
        return out


def sample_instance(
    family: Family, style: str, split: str, index: int, cfg: ProceduralConfig, phrasing: int | None = None
) -> Instance:
    """One instance (``phrasing``: a legend index, else drawn); the same arguments always give the same instance."""
    rng = random.Random(derive_seed(cfg.seed, split, index, family.name, style))
    if phrasing is None:
        phrasing = rng.choice(phrasing_indices(family, split))
    framing = rng.choice(framing_indices(style, split))
    params = family.params(rng)
    examples = []
    for j in range(cfg.examples):
        values = family.generate(params, "small", derive_seed(cfg.seed, split, index, "example", j))
        result = family.solve(values)
        examples.append(Example(family.test_input(style, values), family.test_output(style, result), values, result))
    tests = []
    for scale, count in sorted(cfg.tests.items()):
        for j in range(count):
            seed = derive_seed(cfg.seed, split, index, scale, j)
            tests.append((scale, family.test_input(style, family.generate(params, scale, seed)), seed))
    title, statement = render_statement(family, style, phrasing, framing, params, examples)
    return Instance(split, index, family, style, phrasing, framing, params, title, statement, examples, tests)


def sample_instances(cfg: ProceduralConfig, split: str) -> list[Instance]:
    """Training instances (families round-robin in a shuffled order, styles by weight, a phrasing drawn
    per instance) or held-out ones (families round-robin, styles rotating so each family is seen in every
    style, and each family's held-out phrasings taken in a shuffled turn so each is used equally often)."""
    families = get_families(cfg.families)
    rng = random.Random(derive_seed(cfg.seed, split, "plan"))
    turns = random.Random(derive_seed(cfg.seed, split, "phrasings"))
    queue: dict[str, list[int]] = {}
    count = cfg.train_tasks if split == "train" else cfg.holdout_tasks
    styles = [s for s in STYLES if cfg.styles.get(s, 0) > 0]
    weights = [cfg.styles[s] for s in styles]
    out = []
    order: list[Family] = []
    for i in range(count):
        if not order:
            order = list(families)
            rng.shuffle(order)
        family = order.pop()
        phrasing = None
        if split == "train":
            style = rng.choices(styles, weights)[0]
        else:
            style = styles[(i // len(families) + families.index(family)) % len(styles)]
            if not queue.get(family.name):
                queue[family.name] = phrasing_indices(family, split)
                turns.shuffle(queue[family.name])
            phrasing = queue[family.name].pop()
        out.append(sample_instance(family, style, split, i, cfg, phrasing))
    return out


# --------------------------------------------------------------------------------------------
# Records (training) and LiveCodeBench rows (held-out)


def instance_records(inst: Instance, cfg: ProceduralConfig) -> tuple[Task, list[Solution], TaskTestInputs]:
    """The SynthSmith records of one training instance."""
    source = f"procedural:{inst.family.name}"
    extra = {
        "family": inst.family.name,
        "area": area_of(inst.family.name),
        "phrasing": inst.phrasing,
        "framing": inst.framing,
        "params": inst.params,
        "split": inst.split,
    }
    task = Task(
        id=inst.id,
        style=inst.style,
        title=inst.title,
        question=inst.statement,
        examples=[ExampleRecord(e.input, e.output) for e in inst.examples],
        provenance=Provenance(
            stage="tasks", source=source, seed=derive_seed(cfg.seed, inst.split, inst.index), extra=extra
        ),
        fn_name=inst.fn_name,
        starter_code=inst.starter_code,
        features=inst.family.features,
    )
    solutions = []
    for k, (role, code) in enumerate(inst.candidates(cfg.alternatives, cfg.buggy)):
        solutions.append(
            Solution(
                id=make_id("sol", task.id, k),
                task_id=task.id,
                index=k,
                response=f"```python\n{code}```",
                code=code,
                provenance=Provenance(stage="solutions", source=source, parents=[task.id], extra={"role": role}),
            )
        )
    inputs = [
        TestInput(make_id("in", task.id, "sample", j), e.input, kind="sample", scale="sample")
        for j, e in enumerate(inst.examples)
    ]
    inputs += [
        TestInput(
            make_id("in", task.id, scale, seed),
            text,
            kind="procedural",
            scale=scale,
            seed=seed,
            generator=digest(inst.family.name, 12),
        )
        for scale, text, seed in inst.tests
    ]
    tests = TaskTestInputs(
        id=make_id("tests", task.id),
        task_id=task.id,
        inputs=inputs,
        provenance=Provenance(stage="tests", source=source, parents=[task.id]),
    )
    return task, solutions, tests


def holdout_problems(instances: Sequence[Instance], judge: Any, progress: bool = False) -> list[Problem]:
    """Held-out problems with expected outputs from the reference program run in the judge.

    Raises when the reference fails to run on one of its own inputs: that is a family bug, and
    an evaluation set must never silently shrink or carry a wrong label."""
    jobs = [
        (inst.family.code(inst.style), [e.input for e in inst.examples] + [t for _, t, _ in inst.tests], inst.fn_name)
        for inst in instances
    ]
    runs = judge.run_outputs_batch(jobs, progress=progress, description="held-out answers")
    problems = []
    for inst, (_, inputs, _), run in zip(instances, jobs, runs):
        bad = [r for r in run if not r.ok]
        if bad:
            raise FamilyError(
                f"family {inst.family.name}: the reference failed on its own input "
                f"({bad[0].verdict.value}: {bad[0].message or bad[0].stderr[-200:]})"
            )
        tests = [
            TestCase(text, r.output if inst.fn_name else (r.output or "").rstrip("\n")) for text, r in zip(inputs, run)
        ]
        problems.append(
            inst.to_problem(
                tests,
                contest_date=HOLDOUT_DATE,
                metadata={"family": inst.family.name, "phrasing": inst.phrasing, "framing": inst.framing},
            )
        )
    return problems
