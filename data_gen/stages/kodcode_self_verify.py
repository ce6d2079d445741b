"""KodCode mode, stage 2, ``kodcode_self_verify``: a solution and its pytest file per attempt, run in
the judge, until the question is verified.

Per question (``kodcode_questions``), every attempt asks the model (``kodcode_solve_and_test.md``)
for a solution and a pytest file in one answer, both fresh (the question never changes), and
judges the pair as a unit-test problem (``xcoder.judge``: the file runs as ``test_solution.py``
beside ``solution.py``, each collected test one result). ``min_attempts`` are made at once; then
one attempt at a time until one passes or ``max_attempts`` were made (KodCode's "more attempts for
harder questions"). An attempt fails when its answer lacks a part, its solution does not parse, or
the judge does not accept it -- a test file that does not parse, imports a module the sandbox lacks
or has no tests included (the judge names them; the test was the model's work here).

The difficulty label is the share of passing attempts (``difficulty_thresholds``, KodCode's 2/3 and
1/3 by default); the kept pair is the passing attempt with the most tests (ties: the earliest).
Questions with no passing attempt are dropped as ``unverified``.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Iterable
from typing import Any

from data_gen.kodcode_records import KodAttempt, KodQuestion, KodTriplet, marked
from data_gen.records import Provenance
from data_gen.stage import Drop, ItemResult, Stage, StageContext, WorkItem
from xcoder.kodcode import difficulty_label, strip_think, test_info_of
from xcoder.problem import Problem

STYLE_TASK = {
    "instruct": "Solve the following programming task.",
    "complete": "Complete the following Python code: implement the function so that it does what its docstring "
    "says, keeping its name and signature.",
}


async def judge_unit(ctx: StageContext, qid: str, test: str, code: str) -> Any:
    """Judge ``code`` against the pytest file ``test`` (all tests run) in the stage's judge."""
    problem = Problem(question_id=qid, tests=[], test_file=test)
    return await asyncio.to_thread(ctx.judge.judge, problem, code, stop_on_first_failure=False)


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


class KodSelfVerifyStage(Stage):
    name = "kodcode_self_verify"
    inputs = ("kodcode_questions",)
    uses_llm = True
    uses_judge = True

    def items(self) -> Iterable[WorkItem]:
        for question in self.ctx.read("kodcode_questions", KodQuestion):
            yield WorkItem(question.id, question)

    async def attempt(self, question: KodQuestion, index: int) -> KodAttempt:
        cfg = self.config.kodcode.self_verify
        template = self.ctx.prompt("kodcode_solve_and_test")
        content = template.render(task=STYLE_TASK[question.style], question=question.question.strip("\n"))
        seed_parts = [question.id, "attempt", index]
        seed = self.ctx.seed_for(self.name, *seed_parts)
        result = await self.ctx.chat([{"role": "user", "content": content}], cfg, seed_parts=seed_parts)
        text = strip_think(result.texts[0] or "")
        solution, test = marked(text, "Solution"), marked(text, "Test")
        if result.finish_reasons[0] == "length":
            return KodAttempt(index, False, "truncated", solution or "", test or "", seed=seed)
        if solution is None or test is None:
            return KodAttempt(
                index, False, "no_solution" if solution is None else "no_test", solution or "", test or "", seed=seed
            )
        if not parses(solution):
            return KodAttempt(index, False, "solution_syntax_error", solution, test, seed=seed)
        verdict = await judge_unit(self.ctx, question.id, test, solution)
        message = verdict.error or next((t.message for t in verdict.tests if t.verdict.value != "accepted"), "")
        return KodAttempt(
            index,
            verdict.accepted,
            verdict.verdict.value,
            solution,
            test,
            verdict.passed,
            verdict.total,
            message[:500],
            seed,
        )

    async def process(self, item: WorkItem) -> ItemResult:
        question: KodQuestion = item.payload
        cfg = self.config.kodcode.self_verify
        attempts = list(await asyncio.gather(*(self.attempt(question, k) for k in range(cfg.min_attempts))))
        while not any(a.passed for a in attempts) and len(attempts) < cfg.max_attempts:
            attempts.append(await self.attempt(question, len(attempts)))
        passing = [a for a in attempts if a.passed]
        if not passing:
            raise Drop("unverified")
        chosen = max(passing, key=lambda a: (a.tests_total, -a.index))
        sequence = [int(a.passed) for a in attempts]
        return ItemResult(
            [
                KodTriplet(
                    id=question.id,
                    style=question.style,
                    subset=question.subset,
                    prompt_id=question.prompt_id,
                    question=question.question,
                    solution=chosen.solution,
                    test=chosen.test,
                    test_info=test_info_of(chosen.solution),
                    pass_sequence=sequence,
                    difficulty=difficulty_label(sequence, cfg.difficulty_thresholds),
                    chosen_attempt=chosen.index,
                    attempts=attempts,
                    seed_id=question.seed_id,
                    provenance=Provenance(
                        stage=self.name,
                        parents=[question.id],
                        model=self.ctx.model(cfg),
                        prompt="kodcode_solve_and_test.md",
                        prompt_sha=self.ctx.prompt("kodcode_solve_and_test").sha,
                        extra={"attempts": len(attempts)},
                    ),
                )
            ]
        )


STAGE = KodSelfVerifyStage
