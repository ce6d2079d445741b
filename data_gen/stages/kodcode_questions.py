"""KodCode mode, stage 1, ``kodcode_questions``: function-level coding questions from seed snippets.

Each seed snippet (``seeds.path``) gives ``kodcode.questions.per_seed`` questions, each in a style
drawn with the ``kodcode.questions.styles`` weights: ``instruct`` (a task in prose,
``kodcode_question_instruct.md``) or ``complete`` (a Python stub whose docstring is the task,
``kodcode_question_complete.md``). The answer's ``<|Question Begin|>`` part is the question; a
stub must parse and define a function. Ids are KodCode's ``{subset}_{prompt_id}_{I|C}``.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterable

from data_gen.answers import looks_like_refusal
from data_gen.kodcode_records import KodQuestion, marked
from data_gen.records import Provenance, SeedSnippet
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.features import load_seeds
from data_gen.stages.tasks import pick_style
from xcoder.hashing import digest
from xcoder.kodcode import question_id, strip_think


def defines_function(code: str) -> bool:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(tree))


def answer_part(result, name: str, what: str, index: int = 0) -> str:
    """The marked part ``name`` of sample ``index``, or ``Drop`` with the reason."""
    text = result.texts[index]
    part = marked(strip_think(text or ""), name)
    if part is not None:
        return part
    if result.finish_reasons[index] == "length":
        raise Drop(f"{what}:truncated")
    raise Drop(f"{what}:refusal" if looks_like_refusal(text or "") else f"{what}:no_{name.lower()}")


class KodQuestionsStage(Stage):
    name = "kodcode_questions"
    uses_llm = True

    def items(self) -> Iterable[WorkItem]:
        cfg = self.config.kodcode.questions
        count = 0
        seeds = load_seeds(self.config.seeds)
        for variant in range(cfg.per_seed):
            for seed in seeds:
                if cfg.max_questions is not None and count >= cfg.max_questions:
                    return
                count += 1
                if seed.drop:
                    yield WorkItem(f"{seed.key}:{variant}", drop=seed.drop)
                else:
                    yield WorkItem(f"{seed.payload.id}:{variant}", (seed.payload, variant))

    async def process(self, item: WorkItem) -> ItemResult:
        seed: SeedSnippet = item.payload[0]
        cfg = self.config.kodcode.questions
        style = pick_style(cfg.styles, random.Random(self.ctx.seed_for("style", item.key)))
        template = self.ctx.prompt(f"kodcode_question_{style}")
        result = await self.ctx.chat(
            [{"role": "user", "content": template.render(snippet=seed.code.strip())}],
            cfg,
            seed_parts=[item.key, style],
        )
        question = answer_part(result, "Question", "question")
        if style == "complete" and not defines_function(question):
            raise Drop("question:stub_without_function")
        prompt_id = digest(item.key, 8)
        return ItemResult(
            [
                KodQuestion(
                    id=question_id(cfg.subset, prompt_id, style),
                    style=style,
                    subset=cfg.subset,
                    prompt_id=prompt_id,
                    question=question.strip("\n") + ("\n" if style == "complete" else ""),
                    seed_id=seed.id,
                    provenance=Provenance(
                        stage=self.name,
                        parents=[seed.id],
                        model=result.model,
                        prompt=template.name,
                        prompt_sha=template.sha,
                        request_keys=[result.key] if result.key else [],
                        seed=self.ctx.seed_for(self.name, item.key, style),
                    ),
                )
            ]
        )


STAGE = KodQuestionsStage
