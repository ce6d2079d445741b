"""Stage 3, ``tree``: merge all feature sets into one hierarchy with counts and sample feature
configs (sub-trees) from it, each the seed of a task.

Writes ``tree/tree.json`` (the merged hierarchy, every node with the number of feature sets that
mention it) and ``tree/feature_tree.json`` (the same in X-Coder's plain nested shape), plus
:class:`FeatureConfig` records.

``tree.import_path`` starts the pipeline here instead: X-Coder's released feature-config JSONL
(one ``{"features", "mandatory_features", "idx", "leaf_count"}`` object per line) is taken as the
configs themselves; a merged feature-tree JSON object (X-Coder's ``feature_evoled.json`` shape) is
merged and sampled like our own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from data_gen.feature_tree import Node, build_tree, leaf_count, leaves, normalise_tree, sample_config, tree_from_nested
from data_gen.records import FeatureConfig, FeatureSet, Provenance
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from xcoder.config import config_to_dict
from xcoder.hashing import digest, make_id
from xcoder.io import atomic_write_json, iter_jsonl


class TreeStage(Stage):
    name = "tree"
    single_item = True

    @classmethod
    def required_inputs(cls, config: Any) -> tuple[str, ...]:
        return () if config.tree.import_path else ("features", "evolve")

    def items(self) -> Iterable[WorkItem]:
        # The key names the options and the inputs, so a change of either recomputes the tree
        # instead of adding to it (see runner.run_stage).
        cfg = self.config.tree
        options = digest(json.dumps(config_to_dict(cfg), sort_keys=True) + str(self.config.random_seed), 12)
        if cfg.import_path:
            path = Path(cfg.import_path)
            inputs = digest(path.read_text(encoding="utf-8"), 12) if path.is_file() else "missing"
            self._sets: list[FeatureSet] = []
        else:
            self._sets = self.ctx.read("features", FeatureSet) + self.ctx.read("evolve", FeatureSet)
            inputs = digest(" ".join(fs.id for fs in self._sets), 12)
        return [WorkItem(f"tree:{options}:{inputs}")]

    async def process(self, item: WorkItem) -> ItemResult:
        cfg = self.config.tree
        if cfg.import_path:
            path = Path(cfg.import_path)
            if not path.is_file():
                raise Drop("import:file_not_found")
            text = path.read_text(encoding="utf-8")
            if "git-lfs.github.com/spec" in text[:200]:
                raise Drop("import:git_lfs_pointer")  # X-Coder's repository ships its JSONL via LFS
            try:
                whole = json.loads(text)
            except json.JSONDecodeError:
                whole = None
            if isinstance(whole, dict) and "features" not in whole:
                return self._sample(tree_from_nested(whole), source=f"import:{path.name}", parents=[])
            return self._import_configs(path)
        sets = self._sets
        if not sets:
            raise Drop("no_feature_sets")
        root = build_tree([fs.features for fs in sets])
        return self._sample(root, source="derived", parents=[fs.id for fs in sets])

    def _sample(self, root: Node, source: str, parents: list[str]) -> ItemResult:
        cfg = self.config.tree
        root.prune(cfg.min_count)
        out_dir = self.ctx.output_dir / self.name
        atomic_write_json(out_dir / "tree.json", root.to_dict())
        atomic_write_json(out_dir / "feature_tree.json", root.to_nested())
        result = ItemResult()
        seen: set[str] = set()
        for idx in range(cfg.num_configs):
            rng = random.Random(self.ctx.seed_for("tree", idx))
            config = None
            for _attempt in range(50):
                shape = rng.choice(cfg.shapes)
                features = sample_config(root, rng, shape, cfg.max_depth)
                canon = json.dumps(features, sort_keys=True)
                if leaf_count(features) >= cfg.min_leaf_count and canon not in seen:
                    seen.add(canon)
                    config = (features, shape)
                    break
            if config is None:
                result.drop("config:too_few_leaves_or_duplicate")
                continue
            features, shape = config
            pool = leaves(features)
            mandatory = sorted(rng.sample(pool, min(cfg.mandatory, len(pool))))
            result.records.append(
                FeatureConfig(
                    id=make_id("cfg", idx, features),
                    idx=idx,
                    features=features,
                    leaf_count=leaf_count(features),
                    mandatory_features=mandatory,
                    shape=list(shape),
                    provenance=Provenance(
                        stage=self.name,
                        source=source,
                        parents=[],
                        seed=self.ctx.seed_for("tree", idx),
                        extra={"feature_sets": len(parents), "tree_sha": digest(json.dumps(root.to_dict()), 12)},
                    ),
                )
            )
        return result

    def _import_configs(self, path: Path) -> ItemResult:
        """X-Coder's feature-config JSONL: every valid line becomes a config; bad lines are counted."""
        result = ItemResult()
        for lineno, row, error in iter_jsonl(path):
            config = "import:invalid_json" if error else _config_from_xcoder(row, path, lineno)
            if isinstance(config, str):
                result.drop(config)
            else:
                result.records.append(config)
        return result


def _config_from_xcoder(row: Any, path: Path, lineno: int) -> FeatureConfig | str:
    """A :class:`FeatureConfig` from one X-Coder line, or the drop reason."""
    if not isinstance(row, dict) or not isinstance(row.get("features"), dict):
        return "import:no_features_object"
    features = normalise_tree(row["features"], max_depth=12)
    if not features:
        return "import:empty_features"
    idx = row.get("idx", lineno - 1)
    if not isinstance(idx, int):
        return "import:bad_idx"
    mandatory = row.get("mandatory_features") or []
    if isinstance(mandatory, dict):
        mandatory = leaves(normalise_tree(mandatory))
    if not isinstance(mandatory, list):
        return "import:bad_mandatory_features"
    mandatory = [m for m in (normalise_tree(mandatory) or []) if isinstance(m, str)]
    return FeatureConfig(
        id=make_id("cfg", "xcoder", idx, features),
        idx=idx,
        features=features,
        leaf_count=leaf_count(features),
        mandatory_features=mandatory,
        shape=row.get("shape") if isinstance(row.get("shape"), list) else None,
        provenance=Provenance(
            stage="tree",
            source=f"import:{path.name}",
            extra={"line": lineno, "declared_leaf_count": row.get("leaf_count")},
        ),
    )


STAGE = TreeStage
