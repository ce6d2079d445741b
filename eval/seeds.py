"""``--seeds 0,1,2``: the same evaluation once per run seed, and the spread of the scores.

Each seed is a complete, resumable run in ``OUTPUT_DIR/seed_<s>`` (its own caches and reports);
``OUTPUT_DIR/seeds.json`` and ``seeds.md`` hold, for every score, the per-seed values and their
mean ± spread (sample standard deviation across seeds, and min–max). Sampling noise across seeds
is a different thing from the 95% CI over problems of one run: report both.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from eval.scoring import DIFFICULTIES
from xcoder.io import atomic_write_json, atomic_write_text


def spread(values: list[float]) -> dict[str, Any]:
    """mean, std (sample, n-1; 0 for one value), min, max and the values themselves."""
    m = len(values)
    mean = sum(values) / m
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (m - 1)) if m > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(values), "max": max(values), "values": values}


def _metrics(results: dict[str, Any]) -> dict[str, float]:
    n = results["n"]
    out: dict[str, float] = {}
    for key, value in results["overall"].items():
        if key.startswith(("avg@", "pass@")) and not key.endswith("_ci95"):
            out[key] = value
    for d in DIFFICULTIES:
        value = results["by_difficulty"].get(d, {}).get(f"avg@{n}")
        if value is not None:
            out[f"{d} avg@{n}"] = value
    if results.get("overall_without_errata", {}).get(f"avg@{n}") is not None:
        out[f"avg@{n} without errata"] = results["overall_without_errata"][f"avg@{n}"]
    for v in (results.get("variants") or {}).values():
        if v["overall"].get(f"avg@{n}") is not None:
            out[f"avg@{n} {v['label']}"] = v["overall"][f"avg@{n}"]
    return out


def aggregate(per_seed: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Scores of several seeds' results: each metric's spread (only metrics every seed has)."""
    metrics = [_metrics(r) for r in per_seed.values()]
    common = [k for k in metrics[0] if all(k in m for m in metrics)]
    first = next(iter(per_seed.values()))
    return {
        "name": first["name"],
        "n": first["n"],
        "seeds": list(per_seed),
        "num_problems": first["overall"].get("num_problems"),
        "selection": first.get("selection"),
        "metrics": {k: spread([m[k] for m in metrics]) for k in common},
    }


def seeds_markdown(agg: dict[str, Any]) -> str:
    from eval.report import problems_label

    seeds = agg["seeds"]
    head = ["Metric", "Mean ± std", "Min–max"] + [f"seed {s}" for s in seeds]
    lines = [
        f"# {agg['name']}: {len(seeds)} seeds\n",
        f"Problems: {problems_label(agg)}. Values in %; std is the sample standard deviation across seeds.\n",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    for key, s in agg["metrics"].items():
        cells = [key, f"{100 * s['mean']:.1f} ± {100 * s['std']:.1f}", f"{100 * s['min']:.1f}–{100 * s['max']:.1f}"]
        cells += [f"{100 * v:.1f}" for v in s["values"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_seeds(cfg: Any) -> dict[str, Any]:
    """One :func:`eval.runner.run_eval` per seed of ``cfg.seeds``; writes seeds.json and seeds.md."""
    from eval.runner import run_eval

    seeds = cfg.seed_values()
    if cfg.generation.backend == "samples":
        raise ValueError("--seeds needs a model: a samples file is the same whatever the seed")
    out = Path(cfg.output_dir)
    per_seed = {}
    for seed in seeds:
        sub = replace(cfg, seeds=None, output_dir=str(out / f"seed_{seed}"), sampling=replace(cfg.sampling, seed=seed))
        per_seed[seed] = run_eval(sub)
    agg = aggregate(per_seed)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "seeds.json", agg)
    atomic_write_text(out / "seeds.md", seeds_markdown(agg))
    return agg
