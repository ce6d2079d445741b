"""Stage 2, ``evolve``: grow each extracted feature set by breadth (new related features) and depth
(specialisations of existing ones) for ``evolve.rounds`` rounds; names are normalised and features
already present are dropped, so every output set holds only what evolution added.

One work item per extracted set, so the stage shards and resumes per seed; the rounds of one item
run in sequence because each builds on the previous one's result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from data_gen.answers import json_answer
from data_gen.feature_tree import all_names, leaf_count, merge_sets, normalise_tree, without
from data_gen.records import FeatureSet, Provenance
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from xcoder.hashing import make_id


class EvolveStage(Stage):
    name = "evolve"
    inputs = ("features",)
    uses_llm = True

    def items(self) -> Iterable[WorkItem]:
        for fs in self.ctx.read("features", FeatureSet):
            yield WorkItem(fs.id, fs)

    async def _step(self, kind: str, current: dict, parent: FeatureSet, rnd: int) -> tuple[FeatureSet | None, str]:
        cfg = self.config.evolve
        prompt = self.ctx.prompt(f"evolve_{kind}")
        shown = json.dumps(current, indent=1, ensure_ascii=False)
        values = (
            {"features": shown, "max_new": cfg.max_new}
            if kind == "breadth"
            else {"features": shown, "max_expand": cfg.max_expand}
        )
        result = await self.ctx.chat(
            [{"role": "user", "content": prompt.render(**values)}], cfg, seed_parts=[parent.id, kind, rnd], json=True
        )
        try:
            answer = normalise_tree(json_answer(result, what=kind))
        except Drop as d:
            return None, d.reason
        known = all_names(current)
        if kind == "breadth":
            added = without(answer, known)
        else:
            # Depth answers nest specialisations under features of the set: keep those whose parent
            # feature is known and whose specialisations are new.
            added = {}
            for category, subtree in answer.items() if isinstance(answer, dict) else []:
                if not isinstance(subtree, dict):
                    continue
                kept = {f: without(specs, known) for f, specs in subtree.items() if f in known}
                kept = {f: specs for f, specs in kept.items() if specs}
                if kept:
                    added[category] = kept
        if not isinstance(added, dict) or leaf_count(added) == 0:
            return None, f"{kind}:nothing_new"
        record = FeatureSet(
            id=make_id("evo", parent.id, kind, rnd),
            features=added,
            kind=kind,
            round=rnd,
            seed_id=parent.seed_id,
            provenance=Provenance(
                stage=self.name,
                parents=[parent.id],
                model=result.model,
                prompt=prompt.name,
                prompt_sha=prompt.sha,
                request_keys=[result.key] if result.key else [],
            ),
        )
        return record, ""

    async def process(self, item: WorkItem) -> ItemResult:
        parent: FeatureSet = item.payload
        cfg = self.config.evolve
        out = ItemResult()
        current = parent.features
        for rnd in range(cfg.rounds):
            for kind in [k for k, on in (("breadth", cfg.breadth), ("depth", cfg.depth)) if on]:
                record, reason = await self._step(kind, current, parent, rnd)
                if record is None:
                    out.drop(reason)
                    continue
                out.records.append(record)
                current = merge_sets(current, record.features)
        return out


STAGE = EvolveStage
