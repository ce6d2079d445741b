"""Stage 5, ``solutions``: sample N candidate solutions per task from a (reasoning) model.

The prompt is the LiveCodeBench prompt of the task (``xcoder.prompts.build_messages``), the same
one the SFT export pairs with the golden answer, so the model is trained on answers to exactly the
prompt it is evaluated with. Defaults follow X-Coder: temperature 0.6, top_p 0.95. The full
response is kept (and the server's separate reasoning channel, when it has one); a sample is kept
only if it holds exactly one parseable Python block. Every other sample is dropped with its reason
(truncated, refusal, no_code_block, multiple_code_blocks, syntax_error).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from data_gen.answers import code_reason
from data_gen.records import Provenance, Solution, Task
from data_gen.stage import ItemResult, Stage, WorkItem
from xcoder.hashing import make_id
from xcoder.prompts import DEFAULT_SYSTEM_PROMPT, build_messages


def system_prompt(value: str | None) -> str | None:
    """``solutions.system_prompt``: "default" -> xcoder's LCB system prompt; None -> none."""
    return DEFAULT_SYSTEM_PROMPT if value == "default" else value


def task_messages(task: Task, config: Any) -> list[dict[str, str]]:
    """The LiveCodeBench prompt of a task, as the solutions stage and the SFT export both use it."""
    return build_messages(task.to_problem(), system_prompt(config.solutions.system_prompt))


class SolutionsStage(Stage):
    name = "solutions"
    inputs = ("tasks",)
    uses_llm = True

    def items(self) -> Iterable[WorkItem]:
        for task in self.ctx.read("tasks", Task):
            yield WorkItem(task.id, task)

    async def process(self, item: WorkItem) -> ItemResult:
        task: Task = item.payload
        cfg = self.config.solutions
        result = await self.ctx.chat(task_messages(task, self.config), cfg, seed_parts=[task.id], n=cfg.n)
        out = ItemResult()
        for i, text in enumerate(result.texts):
            code, reason = code_reason(text, result.finish_reasons[i], cfg.drop_truncated)
            if code is None:
                out.drop(reason)
                continue
            out.records.append(
                Solution(
                    id=make_id("sol", task.id, i),
                    task_id=task.id,
                    index=i,
                    response=text,
                    code=code,
                    reasoning=result.reasoning[i],
                    finish_reason=result.finish_reasons[i],
                    provenance=Provenance(
                        stage=self.name,
                        parents=[task.id],
                        model=result.model,
                        prompt="xcoder.prompts (LCB)",
                        request_keys=[result.key] if result.key else [],
                        seed=self.ctx.seed_for(self.name, task.id),
                    ),
                )
            )
        return out


STAGE = SolutionsStage
