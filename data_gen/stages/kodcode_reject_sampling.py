"""KodCode mode, stage 4, ``kodcode_reject_sampling``: answers of a (reasoning) model judged against
each triplet's tests, for SFT.

Every triplet of ``kodcode_self_verify`` and ``kodcode_rewrite`` is asked with xcoder's KodCode
prompt (``xcoder.prompts.build_kodcode_messages``, the prompt SFT rows, GRPO rows and
``--benchmark kodcode`` eval show) ``n`` times (``kodcode.reject_sampling.model`` may name a
reasoning model). Each answer's program is the last Python block after its reasoning; when it
defines one function named differently from the entry point, that function is renamed first
(KodCode's fix-up, ``rename_function``). The program is judged on the triplet's pytest file; only
passing answers become SFT rows (``keep`` per question, in sampling order). Triplets without a
passing answer are dropped as ``no_passing_answer``; their KodCode-V1 and RL rows are still exported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from data_gen.kodcode_records import KodResponse, KodSamples, KodTriplet
from data_gen.records import Provenance
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.kodcode_self_verify import judge_unit, parses
from data_gen.stages.solutions import system_prompt
from xcoder.extract import extract_code
from xcoder.hashing import make_id
from xcoder.kodcode import rename_entry_point
from xcoder.prompts import build_kodcode_messages


def triplet_messages(triplet: KodTriplet, config) -> list[dict[str, str]]:
    """The prompt the answers are sampled with; export pairs the SFT answers with the same one."""
    return build_kodcode_messages(triplet.to_problem(), system_prompt(config.kodcode.reject_sampling.system_prompt))


class KodRejectSamplingStage(Stage):
    name = "kodcode_reject_sampling"
    inputs = ("kodcode_self_verify", "kodcode_rewrite")
    uses_llm = True
    uses_judge = True

    def items(self) -> Iterable[WorkItem]:
        if not self.config.kodcode.reject_sampling.enabled:
            return
        for stage in ("kodcode_self_verify", "kodcode_rewrite"):
            for triplet in self.ctx.read(stage, KodTriplet):
                yield WorkItem(triplet.id, triplet)

    async def response(
        self, triplet: KodTriplet, index: int, text: str, reasoning: str | None, finish: str | None
    ) -> KodResponse:
        cfg = self.config.kodcode.reject_sampling
        if finish == "length" and cfg.drop_truncated:
            return KodResponse(index, text, "", False, "truncated", reasoning, finish)
        code = extract_code(text or "", mode="last")
        if code is None:
            return KodResponse(index, text, "", False, "no_code", reasoning, finish)
        if cfg.rename_function:
            code = rename_entry_point(code, triplet.entry_point)
        if not parses(code):
            return KodResponse(index, text, code, False, "syntax_error", reasoning, finish)
        result = await judge_unit(self.ctx, triplet.id, triplet.test, code)
        return KodResponse(
            index, text, code, result.accepted, result.verdict.value, reasoning, finish, result.passed, result.total
        )

    async def process(self, item: WorkItem) -> ItemResult:
        triplet: KodTriplet = item.payload
        cfg = self.config.kodcode.reject_sampling
        result = await self.ctx.chat(triplet_messages(triplet, self.config), cfg, seed_parts=[triplet.id], n=cfg.n)
        responses = await asyncio.gather(
            *(
                self.response(triplet, i, text, result.reasoning[i], result.finish_reasons[i])
                for i, text in enumerate(result.texts)
            )
        )
        samples = KodSamples(
            id=make_id("kodsamples", triplet.id),
            question_id=triplet.id,
            responses=list(responses),
            pass_sequence=[int(r.passed) for r in responses],
            provenance=Provenance(
                stage=self.name,
                parents=[triplet.id],
                model=result.model,
                prompt="xcoder.prompts (KodCode)",
                request_keys=[result.key] if result.key else [],
                seed=self.ctx.seed_for(self.name, triplet.id),
            ),
        )
        if not samples.passing:
            raise Drop("no_passing_answer")
        return ItemResult([samples])


STAGE = KodRejectSamplingStage
