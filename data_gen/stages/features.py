"""Stage 1, ``features``: extract competitive-programming features from seed code snippets.

Input: any JSONL with a code field (``seeds.path``; a small set of our own snippets ships in
``data_gen/seeds/``). Output: one :class:`FeatureSet` (``kind="extracted"``) per usable snippet.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from data_gen.answers import json_answer
from data_gen.config import SeedsConfig
from data_gen.feature_tree import leaf_count, normalise_tree
from data_gen.records import FeatureSet, Provenance, SeedSnippet
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from xcoder.hashing import make_id
from xcoder.io import iter_jsonl


def load_seeds(cfg: SeedsConfig) -> list[WorkItem]:
    """One work item per seed row; rows without usable code are pre-dropped with a reason."""
    path = Path(cfg.path)
    if not path.is_file():
        raise FileNotFoundError(f"seeds.path: {path} does not exist")
    items: list[WorkItem] = []
    for lineno, row, error in iter_jsonl(path):
        key = f"{path.name}:{lineno}"
        if error:
            items.append(WorkItem(key, drop="seed:invalid_json"))
            continue
        code = row.get(cfg.code_field) if isinstance(row, dict) else None
        if not isinstance(code, str) or not code.strip():
            items.append(WorkItem(key, drop=f"seed:no_{cfg.code_field}_field"))
            continue
        sid = row.get(cfg.id_field) if cfg.id_field else None
        sid = str(sid) if sid not in (None, "") else make_id("seed", code)
        items.append(WorkItem(sid, SeedSnippet(sid, code, source=f"{path}:{lineno}")))
        if cfg.limit is not None and sum(1 for it in items if it.drop is None) >= cfg.limit:
            break
    keys: dict[str, int] = {}
    for it in items:  # two rows with one id: keep the first, drop the rest visibly
        keys[it.key] = keys.get(it.key, 0) + 1
        if keys[it.key] > 1:
            it.key, it.drop, it.payload = f"{it.key}#{keys[it.key]}", "seed:duplicate_id", None
    return items


class FeaturesStage(Stage):
    name = "features"
    uses_llm = True

    def items(self) -> Iterable[WorkItem]:
        return load_seeds(self.config.seeds)

    async def process(self, item: WorkItem) -> ItemResult:
        seed: SeedSnippet = item.payload
        prompt = self.ctx.prompt("features")
        messages = [{"role": "user", "content": prompt.render(code=seed.code.strip())}]
        result = await self.ctx.chat(messages, self.config.features, seed_parts=[seed.id], json=True)
        features = normalise_tree(json_answer(result, what="features"))
        if not isinstance(features, dict) or leaf_count(features) == 0:
            raise Drop("features:empty")
        record = FeatureSet(
            id=make_id("feat", seed.id),
            features=features,
            kind="extracted",
            seed_id=seed.id,
            provenance=Provenance(
                stage=self.name,
                parents=[seed.id],
                model=result.model,
                prompt=prompt.name,
                prompt_sha=prompt.sha,
                request_keys=[result.key] if result.key else [],
                extra={"seed_source": seed.source},
            ),
        )
        return ItemResult([record])


STAGE = FeaturesStage
