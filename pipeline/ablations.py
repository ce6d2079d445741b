"""Ablations at toy scale: pipeline variants side by side (``xcoder ablations --config
recipes/tiny/ablations.yaml``).

An experiment names a base pipeline config, overrides shared by its variants, and the variants'
own overrides (deep-merged, validated like any pipeline config). Each variant of each seed is a
full pipeline run in ``output_dir/<experiment>/seed<k>/<variant>``. The first variant's directory
is copied for the others before they run, so stages whose settings are identical (e.g. everything
up to SFT when only the reward differs) resume instead of running again — the pipeline's own
fingerprints decide. Results: ``ablations.json``, ``ablations.md`` (tables) and ``ablations.png``.
"""

from __future__ import annotations

import json
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from pipeline.config import MODELS, load_pipeline_config
from pipeline.locate import locate
from pipeline.runner import run_pipeline
from xcoder.config import ConfigError, help_field, load, read_yaml
from xcoder.io import atomic_write_json, atomic_write_text


@dataclass
class Experiment:
    description: str = help_field("One line: what is compared.", default="")
    metric: str = help_field("Whose held-out avg@n is compared: base, sft or rl.", default="sft")
    shared: dict[str, Any] = help_field("Pipeline overrides common to every variant.", default_factory=dict)
    variants: dict[str, dict[str, Any]] = help_field("Variant name -> its pipeline overrides.", default_factory=dict)

    def __post_init__(self) -> None:
        if self.metric not in MODELS:
            raise ConfigError(f"metric must be one of {list(MODELS)}, got {self.metric!r}")
        if len(self.variants) < 2:
            raise ConfigError("an experiment needs at least two variants")


@dataclass
class AblationConfig:
    base: str = help_field("The pipeline config every variant starts from.", default="recipes/tiny/pipeline.yaml")
    output_dir: str = help_field("Where the runs and the results go.", default="runs/ablations")
    seeds: list[int] = help_field("Task-sampler seeds; every variant runs once per seed.", default_factory=lambda: [0])
    experiments: dict[str, Experiment] = help_field("Experiments by name.", default_factory=dict)
    source: str | None = help_field(
        "The YAML this config was read from (a relative base is looked up beside it first).", default=None, init=False
    )

    def base_path(self) -> Path:
        """The base pipeline config (found as :mod:`pipeline.locate` describes)."""
        return locate(self.base, Path(self.source).parent if self.source else None, f"base: {self.base}")


def load_ablation_config(path: str | Path) -> AblationConfig:
    config = load(AblationConfig, path)
    config.source = str(path)
    return config


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` into ``base``: mappings merge key by key, everything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def write_run_config(merged: dict[str, Any], out: Path, seed: int) -> Path:
    """``out/pipeline.yaml``: a merged pipeline config with its own output directory and seed (one
    run of a variant or of a benchmark seed); relative recipe paths resolve as :mod:`pipeline.locate` says."""
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "pipeline.yaml"
    atomic_write_text(config_path, yaml.safe_dump({**merged, "output_dir": str(out), "seed": seed}, sort_keys=False))
    return config_path


def variant_dir(cfg: AblationConfig, experiment: str, seed: int, variant: str) -> Path:
    return Path(cfg.output_dir) / experiment / f"seed{seed}" / variant


def run_ablations(cfg: AblationConfig, only: tuple[str, ...] = (), console: Console | None = None) -> dict[str, Any]:
    console = console or Console(stderr=True)
    unknown = sorted(set(only) - set(cfg.experiments))
    if unknown:
        raise ConfigError(f"unknown experiment(s) {unknown}; known: {sorted(cfg.experiments)}")
    base = read_yaml(cfg.base_path())
    for name, exp in cfg.experiments.items():
        if only and name not in only:
            continue
        for seed in cfg.seeds:
            first: Path | None = None
            for variant, overrides in exp.variants.items():
                out = variant_dir(cfg, name, seed, variant)
                if first is not None and not out.exists():
                    shutil.copytree(first, out, ignore=shutil.ignore_patterns("eval", "checkpoint-*"))
                config_path = write_run_config(deep_merge(deep_merge(base, exp.shared), overrides), out, seed)
                console.rule(f"[bold magenta]ablation {name} · seed {seed} · {variant}")
                run_pipeline(load_pipeline_config(config_path), console=console)
                first = first or out
    return write_results(cfg)


def collect(cfg: AblationConfig) -> dict[str, Any]:
    """Per experiment and variant: the metric per seed, its mean, and training facts."""
    results: dict[str, Any] = {}
    for name, exp in cfg.experiments.items():
        rows = {}
        for variant in exp.variants:
            per_seed, facts = {}, {}
            for seed in cfg.seeds:
                out = variant_dir(cfg, name, seed, variant)
                summary_path, state_path = out / "summary.json", out / "pipeline_state.json"
                if not summary_path.exists():
                    continue
                summary = json.loads(summary_path.read_text(encoding="utf-8"))
                state = json.loads(state_path.read_text(encoding="utf-8"))["stages"]
                n = summary["eval_protocol"]["n"]
                if exp.metric in summary:
                    per_seed[seed] = summary[exp.metric][f"avg@{n}"]
                facts[seed] = {
                    "sft_rows": summary["sizes"].get("sft_rows"),
                    "train_tasks": summary["sizes"].get("train_tasks"),
                    "grpo_mean_reward": state.get("grpo", {}).get("info", {}).get("mean_reward"),
                    "corrupted_test_labels": state.get("grpo", {}).get("info", {}).get("corrupted_test_labels"),
                }
            values = list(per_seed.values())
            rows[variant] = {
                "per_seed": per_seed,
                "mean": statistics.mean(values) if values else None,
                "stdev": statistics.stdev(values) if len(values) > 1 else None,
                "facts": facts,
            }
        results[name] = {"description": exp.description, "metric": exp.metric, "variants": rows}
    return results


def write_results(cfg: AblationConfig) -> dict[str, Any]:
    results = collect(cfg)
    out = Path(cfg.output_dir)
    atomic_write_json(out / "ablations.json", results)
    lines = ["# Ablations (toy scale)", "", f"Seeds: {cfg.seeds}. Metric: held-out avg@n (%) of the named model.", ""]
    for name, res in results.items():
        lines += [
            f"## {name}",
            "",
            res["description"],
            "",
            f"| variant | {res['metric']} avg@n mean | per seed | SFT rows | GRPO mean reward | corrupted labels |",
            "|---|---:|---|---:|---:|---:|",
        ]
        for variant, row in res["variants"].items():
            mean = "–" if row["mean"] is None else f"{100 * row['mean']:.1f}"
            seeds = ", ".join(f"{s}: {100 * v:.1f}" for s, v in row["per_seed"].items())
            facts = list(row["facts"].values())

            def avg(key: str, facts: list = facts) -> str:
                vals = [f[key] for f in facts if f.get(key) is not None]
                return "–" if not vals else f"{statistics.mean(vals):.3g}"

            lines.append(
                f"| {variant} | {mean} | {seeds} | {avg('sft_rows')} | {avg('grpo_mean_reward')} | "
                f"{avg('corrupted_test_labels')} |"
            )
        lines.append("")
    _plot(out / "ablations.png", results)
    lines += ["![ablations](ablations.png)", ""]
    atomic_write_text(out / "ablations.md", "\n".join(lines))
    return results


def _plot(path: Path, results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, max(1, len(results)), figsize=(4.5 * max(1, len(results)), 3.6), squeeze=False)
    for ax, (name, res) in zip(axes[0], results.items()):
        names = list(res["variants"])
        means = [100 * (res["variants"][v]["mean"] or 0.0) for v in names]
        ax.bar(names, means, color=["#4c72b0", "#dd8452", "#55a868", "#c44e52"][: len(names)], alpha=0.8)
        for i, v in enumerate(names):
            pts = [100 * x for x in res["variants"][v]["per_seed"].values()]
            ax.scatter([i] * len(pts), pts, color="black", s=12, zorder=3)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(f"held-out avg@n of {res['metric']} (%)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
