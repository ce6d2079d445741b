"""Stage 8, ``filter``: drop verified tasks that are likely wrong, trivial or repeated, and label
difficulty.

Deterministic filters, applied first (reasons in brackets):

* functional tasks whose expected outputs are mostly empty — ``""``, ``null``, ``[]``, ``{}`` —
  the pattern behind most wrong labels in X-Coder's audit (``empty_outputs``);
* every test expecting the same output (``identical_outputs``);
* fewer than ``filter.min_tests`` tests (``too_few_tests``);
* voted outputs contradicting the statement's own examples (``sample_mismatch``).

Then near-duplicate statements are removed with MinHash LSH (``datasketch``) over word shingles;
of a near-duplicate group the task with the smallest id stays (``near_duplicate``). These are
decided over all tasks at once while listing work items, so every shard agrees.

Per task, optionally, a proxy model samples ``filter.proxy.n`` solutions that the judge runs on all
tests; tasks nobody solves can be dropped (``proxy_unsolved``). The difficulty label comes from
the proxy pass rate when there is one, else from the candidates' pass rate measured in ``verify``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from data_gen.answers import code_reason
from data_gen.records import VerifiedTask
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.solutions import task_messages

EMPTY_OUTPUTS = {"", "null", "[]", "{}", '""', "''", "none"}
_WORD = re.compile(r"\w+")


def is_empty_output(text: str) -> bool:
    return text.strip().lower() in EMPTY_OUTPUTS


def deterministic_reason(vt: VerifiedTask, cfg: Any) -> str | None:
    """Why a verified task fails the deterministic filters, or None."""
    outputs = [t.output for t in vt.tests]
    if vt.task.is_functional and outputs:
        if sum(map(is_empty_output, outputs)) / len(outputs) > cfg.max_empty_output_fraction:
            return "empty_outputs"
    if cfg.drop_identical_outputs and len(outputs) > 1 and len({o.strip() for o in outputs}) == 1:
        return "identical_outputs"
    if len(outputs) < cfg.min_tests:
        return "too_few_tests"
    if cfg.drop_sample_mismatch and vt.sample_agreement is not None and vt.sample_agreement < 1.0:
        return "sample_mismatch"
    return None


def near_duplicates(texts: dict[str, str], threshold: float, num_perm: int = 128, shingle: int = 3) -> dict[str, str]:
    """``{id: id_it_duplicates}`` for every text that is a near-duplicate (estimated Jaccard over
    word shingles >= ``threshold``) of a text with a smaller id."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    duplicates: dict[str, str] = {}
    for key in sorted(texts):
        words = _WORD.findall(texts[key].lower())
        grams = {" ".join(words[i : i + shingle]) for i in range(max(1, len(words) - shingle + 1))}
        mh = MinHash(num_perm=num_perm, seed=1)
        for gram in grams:
            mh.update(gram.encode("utf-8"))
        hits = lsh.query(mh)
        if hits:
            duplicates[key] = min(hits)
            continue
        lsh.insert(key, mh)
    return duplicates


def difficulty_label(pass_rate: float, thresholds: dict[str, float]) -> str:
    if pass_rate >= thresholds.get("easy", 0.8):
        return "easy"
    if pass_rate >= thresholds.get("medium", 0.3):
        return "medium"
    return "hard"


class FilterStage(Stage):
    name = "filter"
    inputs = ("verify",)

    @classmethod
    def wants_llm(cls, config: Any) -> bool:
        return config.filter.proxy.enabled

    @classmethod
    def wants_judge(cls, config: Any) -> bool:
        return config.filter.proxy.enabled

    def items(self) -> Iterable[WorkItem]:
        cfg = self.config.filter
        tasks = self.ctx.read("verify", VerifiedTask)
        reasons = {vt.id: deterministic_reason(vt, cfg) for vt in tasks}
        if cfg.near_dup_threshold is not None:
            clean = {vt.id: vt.task.question for vt in tasks if reasons[vt.id] is None}
            for key in near_duplicates(clean, cfg.near_dup_threshold, cfg.num_perm, cfg.shingle_words):
                reasons[key] = "near_duplicate"
        for vt in tasks:
            yield WorkItem(vt.id, vt, drop=reasons[vt.id])

    async def process(self, item: WorkItem) -> ItemResult:
        vt: VerifiedTask = item.payload
        cfg = self.config.filter
        proxy_rate = None
        if cfg.proxy.enabled:
            proxy_rate = await self._proxy_pass_rate(vt)
            if proxy_rate == 0.0 and cfg.proxy.drop_unsolved:
                raise Drop("proxy_unsolved")
        rate = vt.pass_rate if proxy_rate is None else proxy_rate
        return ItemResult(
            [replace(vt, proxy_pass_rate=proxy_rate, difficulty=difficulty_label(rate, cfg.difficulty_thresholds))]
        )

    async def _proxy_pass_rate(self, vt: VerifiedTask) -> float:
        proxy = self.config.filter.proxy
        result = await self.ctx.chat(
            task_messages(vt.task, self.config), proxy, seed_parts=[vt.id, "proxy"], n=proxy.n
        )
        problem = vt.to_problem()
        codes = [code_reason(text, finish)[0] for text, finish in zip(result.texts, result.finish_reasons)]
        judged = await asyncio.gather(
            *(asyncio.to_thread(self.ctx.judge.judge, problem, code) for code in codes if code is not None)
        )
        if any(r.verdict.value == "judge_error" for r in judged):
            raise Drop("judge_error")
        return round(sum(r.accepted for r in judged) / len(codes), 4) if codes else 0.0


STAGE = FilterStage
