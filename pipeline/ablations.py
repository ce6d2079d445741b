"""Ablations at toy scale: pipeline variants side by side (``xcoder ablations --config
recipes/tiny/ablations.yaml``).

An experiment names a base pipeline config, overrides shared by its variants, and the variants'
own overrides (deep-merged, validated like any pipeline config). Each variant of each seed is a
full pipeline run in ``output_dir/<experiment>/seed<k>/<variant>``. The first variant's directory
is copied for the others before they run, so stages whose settings are identical (e.g. everything
up to SFT when only the reward differs) resume instead of running again — the pipeline's own
fingerprints decide. An experiment with ``paired`` (e.g. ``paired: sft`` with ``metric: rl``) also
reports metric − paired as a paired bootstrap over the held-out problems, per seed and pooled over
seeds (:mod:`eval.paired`): "did GRPO beat the SFT model it started from", with an interval. A
variant that does not evaluate the paired model itself (``eval: {models: [rl]}``) borrows it from the
first variant of its seed, but only when the stage that made that model is the very same run in both
(same fingerprint and finish time in ``pipeline_state.json``, as a resumed copy has); otherwise the
variant gets no paired figure and says why. Every variant after the first is also compared with the first,
metric against metric, paired over the same held-out problems ("did the change beat the baseline"). Pooled
differences come with three intervals: problems resampled within each seed, whole task families resampled
(a family's held-out problems move together), and each seed's mean as one observation. Results:
``ablations.json``, ``ablations.md`` (tables) and ``ablations.png``.
"""

from __future__ import annotations

import json
import shutil
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from pipeline.config import MODELS, STAGES, load_pipeline_config
from pipeline.families import holdout_families
from pipeline.learning import model_scores, revisit_summary, reward_points, reward_trend
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
    paired: str | None = help_field(
        "Also report metric − this model (base, sft or rl) of the same run, paired over the held-out problems "
        "with a bootstrap interval per seed and pooled (e.g. rl vs the sft it started from).",
        default=None,
    )

    def __post_init__(self) -> None:
        if self.metric not in MODELS:
            raise ConfigError(f"metric must be one of {list(MODELS)}, got {self.metric!r}")
        if self.paired is not None and (self.paired not in MODELS or self.paired == self.metric):
            raise ConfigError(
                f"paired must be one of {list(MODELS)} other than metric {self.metric!r}, got {self.paired!r}"
            )
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


# The stage that makes each model (its run must be the same for a borrowed paired baseline).
MODEL_STAGE = {"base": "model", "sft": "sft", "rl": "grpo"}


def _stage_run(run: Path, stage: str) -> tuple[Any, Any] | None:
    path = run / "pipeline_state.json"
    if not path.is_file():
        return None
    entry = json.loads(path.read_text(encoding="utf-8"))["stages"].get(stage, {})
    return (entry.get("fingerprint"), entry.get("finished_at")) if entry.get("finished") else None


def paired_scores(run: Path, first: Path, model: str) -> tuple[dict[str, float] | None, str]:
    """Per-problem scores of ``model`` for the run ``run``: its own eval, else the first variant's when
    the stage that made the model is the same run in both; ``(None, why)`` when neither applies."""
    if not (run / "pipeline_state.json").is_file():
        return None, "not run"
    own = model_scores(run).get(model)
    if own:
        return own, "own eval"
    stage = MODEL_STAGE[model]
    mine = _stage_run(run, stage)
    if mine is None or mine != _stage_run(first, stage):
        return None, f"no {model} eval, and its {stage} stage is not the first variant's run"
    borrowed = model_scores(first).get(model)
    return (borrowed, f"{model} eval of {first.name} (same {stage} run)") if borrowed else (None, f"no {model} eval")


def _pooled(runs: list[Any]) -> dict[str, Any]:
    """A pooled paired difference three ways: problems resampled within each seed (``pooled``), whole task
    families resampled within each seed (``by_family``, when every run knows its families: a family's
    held-out problems move together), and each seed's mean as one observation (``between_seeds``, 2+ seeds)."""
    from eval.paired import between_runs, paired_bootstrap

    by_family = runs and all(r.clusters for r in runs)
    return {
        "pooled": paired_bootstrap(runs).to_dict() if runs else None,
        "by_family": paired_bootstrap(runs, by_cluster=True).to_dict() if by_family else None,
        "between_seeds": between_runs(runs) if len(runs) >= 2 else None,
    }


def _paired(exp: Experiment, cfg: AblationConfig, name: str, variant: str) -> dict[str, Any] | None:
    """metric − paired per seed and pooled for one variant, or None without ``paired``."""
    from eval.paired import PairedRun, paired_bootstrap

    if exp.paired is None:
        return None
    first_variant = next(iter(exp.variants))
    per_seed, runs, notes = {}, [], {}
    for seed in cfg.seeds:
        out = variant_dir(cfg, name, seed, variant)
        metric = model_scores(out).get(exp.metric)
        base, why = paired_scores(out, variant_dir(cfg, name, seed, first_variant), exp.paired)
        notes[seed] = why
        if metric and base:
            pair = PairedRun(base, metric, clusters=holdout_families(out) or None)
            runs.append(pair)
            per_seed[seed] = paired_bootstrap(pair, seed=seed).to_dict()
    return {"per_seed": per_seed, **_pooled(runs), "baseline": notes}


def _vs_first(exp: Experiment, cfg: AblationConfig, name: str, variant: str) -> dict[str, Any] | None:
    """The variant's metric − the first variant's, paired over the held-out problems of each seed where both
    evaluated the metric's model on the same problems ("did the change beat the baseline"); None for the
    first variant itself."""
    from eval.paired import PairedRun, paired_bootstrap

    first_variant = next(iter(exp.variants))
    if variant == first_variant:
        return None
    per_seed, runs = {}, []
    for seed in cfg.seeds:
        out = variant_dir(cfg, name, seed, variant)
        mine = model_scores(out).get(exp.metric)
        first = model_scores(variant_dir(cfg, name, seed, first_variant)).get(exp.metric)
        if mine and first and set(mine) == set(first):  # a variant with another held-out split has no pairs
            pair = PairedRun(first, mine, clusters=holdout_families(out) or None)
            runs.append(pair)
            per_seed[seed] = paired_bootstrap(pair, seed=seed).to_dict()
    return {"per_seed": per_seed, **_pooled(runs)}


def complete(stages: dict[str, Any]) -> bool:
    """Every stage of a run finished, each no earlier than the stages before it. A copied variant holds the
    first variant's outputs (summary, GRPO log) until its own stages have run again: those are not its results."""
    entries = [stages[s] for s in STAGES if s in stages]
    times = [e.get("finished_at") or "" for e in entries]
    return all(e.get("finished") for e in entries) and times == sorted(times)


def _grpo_facts(run: Path, seed: int) -> dict[str, Any]:
    """GRPO's training reward of a run: first → last third of the steps, and on the tasks it revisited
    (first against last visit, ``revisit_pair``)."""
    return {
        "reward_trend": asdict(reward_trend([r for _, r in reward_points(run)])),
        "revisit": revisit_summary(run, seed),
    }


def collect(cfg: AblationConfig) -> dict[str, Any]:
    """Per experiment and variant: the metric per seed, its mean, training facts and, with ``paired``,
    metric − paired over the held-out problems."""
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
                state = json.loads(state_path.read_text(encoding="utf-8"))["stages"]
                if not complete(state):
                    continue
                summary = json.loads(summary_path.read_text(encoding="utf-8"))
                n = summary["eval_protocol"]["n"]
                if exp.metric in summary:
                    per_seed[seed] = summary[exp.metric][f"avg@{n}"]
                facts[seed] = {
                    "sft_rows": summary["sizes"].get("sft_rows"),
                    "train_tasks": summary["sizes"].get("train_tasks"),
                    "grpo_mean_reward": state.get("grpo", {}).get("info", {}).get("mean_reward"),
                    "grpo_rows": summary["sizes"].get("rl_rows_selected")
                    or state.get("verify", {}).get("info", {}).get("rl_rows"),
                    "corrupted_test_labels": state.get("grpo", {}).get("info", {}).get("corrupted_test_labels"),
                    # grpo.label_noise with select on: the rows with a wrong output, and how many the band kept
                    "noisy_rows": state.get("select", {}).get("info", {}).get("noisy_rows"),
                    "noisy_rows_kept": state.get("select", {}).get("info", {}).get("noisy_rows_kept"),
                    **_grpo_facts(out, seed),
                }
            values = list(per_seed.values())
            rows[variant] = {
                "per_seed": per_seed,
                "mean": statistics.mean(values) if values else None,
                "stdev": statistics.stdev(values) if len(values) > 1 else None,
                "facts": facts,
                "paired": _paired(exp, cfg, name, variant),
                "vs_first": _vs_first(exp, cfg, name, variant),
            }
        results[name] = {
            "description": exp.description,
            "metric": exp.metric,
            "paired": exp.paired,
            "variants": rows,
        }
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
            f"| variant | {res['metric']} avg@n mean | per seed | SFT rows | GRPO rows | GRPO mean reward | "
            "corrupted labels in GRPO's rows | noisy rows kept by select |",
            "|---|---:|---|---:|---:|---:|---:|---:|",
        ]
        for variant, row in res["variants"].items():
            mean = "–" if row["mean"] is None else f"{100 * row['mean']:.1f}"
            seeds = ", ".join(f"{s}: {100 * v:.1f}" for s, v in row["per_seed"].items())
            facts = list(row["facts"].values())

            def avg(key: str, facts: list = facts) -> str:
                vals = [f[key] for f in facts if f.get(key) is not None]
                return "–" if not vals else f"{statistics.mean(vals):.3g}"

            noisy = "–" if avg("noisy_rows") == "–" else f"{avg('noisy_rows_kept')} of {avg('noisy_rows')}"
            lines.append(
                f"| {variant} | {mean} | {seeds} | {avg('sft_rows')} | {avg('grpo_rows')} | "
                f"{avg('grpo_mean_reward')} | {avg('corrupted_test_labels')} | {noisy} |"
            )
        lines.append("")
        if res["paired"]:
            lines += paired_lines(res)
        lines += vs_first_lines(res)
        lines += reward_lines(res)
    _plot(out / "ablations.png", results)
    lines += ["![ablations](ablations.png)", ""]
    atomic_write_text(out / "ablations.md", "\n".join(lines))
    return results


def _ci(c: dict[str, Any]) -> str:
    return f"{100 * c['diff']:+.1f} ({100 * c['ci_low']:+.1f} … {100 * c['ci_high']:+.1f})"


def _spread(p: dict[str, Any]) -> tuple[str, str]:
    """The families-resampled and between-seed intervals of a pooled difference, as table cells."""
    fam, between = p.get("by_family"), p.get("between_seeds")
    return (_ci(fam) if fam else "–", _ci(between) if between else "–")


def paired_lines(res: dict[str, Any]) -> list[str]:
    """The markdown tables of metric − paired per variant and of each variant − the first variant: per seed
    and pooled, with 95% intervals (problems, whole families, or seeds resampled)."""
    label = f"{res['metric']} − {res['paired']}"
    lines = [
        f"{label}, paired over the held-out problems (points, 95% intervals; pooled: problems resampled within "
        "each seed; families: whole task families resampled within each seed; seeds: each seed's mean one "
        "observation, t interval):",
        "",
        f"| variant | per seed: {label} | pooled {label} | families | seeds | up/down/same | {res['paired']} source |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for variant, row in res["variants"].items():
        p = row["paired"]
        seeds = "; ".join(f"{s}: {_ci(c)}" for s, c in p["per_seed"].items()) or "–"
        pooled = p["pooled"]
        counts = f"{pooled['up']}/{pooled['down']}/{pooled['unchanged']}" if pooled else "–"
        sources = "; ".join(sorted(set(p["baseline"].values())))
        fam, between = _spread(p)
        lines.append(
            f"| {variant} | {seeds} | {_ci(pooled) if pooled else '–'} | {fam} | {between} | {counts} | {sources} |"
        )
    return [*lines, ""]


def vs_first_lines(res: dict[str, Any]) -> list[str]:
    """The markdown table of each variant's metric − the first variant's, paired; [] when nothing pairs."""
    rows = {v: r["vs_first"] for v, r in res["variants"].items() if r.get("vs_first") and r["vs_first"]["pooled"]}
    if not rows:
        return []
    first = next(iter(res["variants"]))
    lines = [
        f"{res['metric']} of each variant − {res['metric']} of {first}, paired over the same held-out problems "
        "(points, 95% intervals as above):",
        "",
        f"| variant | per seed | pooled − {first} | families | seeds | up/down/same |",
        "|---|---|---:|---:|---:|---|",
    ]
    for variant, p in rows.items():
        seeds = "; ".join(f"{s}: {_ci(c)}" for s, c in p["per_seed"].items())
        pooled = p["pooled"]
        fam, between = _spread(p)
        counts = f"{pooled['up']}/{pooled['down']}/{pooled['unchanged']}"
        lines.append(f"| {variant} | {seeds} | {_ci(pooled)} | {fam} | {between} | {counts} |")
    return [*lines, ""]


def reward_lines(res: dict[str, Any]) -> list[str]:
    """GRPO's training reward per variant and seed: first → last third of the steps, and, for a run that
    logged its groups and revisited tasks, each task's reward at its first → last visit (95% interval)."""
    lines = []
    for variant, row in res["variants"].items():
        for seed, f in row["facts"].items():
            t, r = f.get("reward_trend") or {}, f.get("revisit")
            if t.get("rising") is None and not r:
                continue
            text = f"- {variant}, seed {seed}: training reward first → last third "
            text += f"{t['first_third']:.3f} → {t['last_third']:.3f}"
            if r:
                text += (
                    f"; revisited tasks ({r['revisited']}) first → last visit {r['mean_a']:.3f} → {r['mean_b']:.3f} "
                    f"({r['diff']:+.3f}, 95% CI {r['ci_low']:+.3f} … {r['ci_high']:+.3f})"
                )
            lines.append(text)
    return ["GRPO training reward:", "", *lines, ""] if lines else []


def _plot(path: Path, results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = sum(max(4.5, 0.8 * len(r["variants"])) for r in results.values()) or 4.5
    fig, axes = plt.subplots(1, max(1, len(results)), figsize=(width, 4.2), squeeze=False)
    for ax, (name, res) in zip(axes[0], results.items()):
        names = list(res["variants"])
        if res["paired"]:
            _plot_paired(ax, name, res)
            continue
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


def _plot_paired(ax: Any, name: str, res: dict[str, Any]) -> None:
    """Pooled metric − paired per variant with its 95% interval; dots: the seeds' differences."""
    names = list(res["variants"])
    for i, v in enumerate(names):
        p = res["variants"][v]["paired"]
        if p["pooled"]:
            c = p["pooled"]
            ax.bar(i, 100 * c["diff"], color="#4c72b0" if c["ci_low"] > 0 else "#8c8c8c", alpha=0.8)
            ax.errorbar(
                i,
                100 * c["diff"],
                yerr=[[100 * (c["diff"] - c["ci_low"])], [100 * (c["ci_high"] - c["diff"])]],
                color="black",
                capsize=4,
            )
        pts = [100 * c["diff"] for c in p["per_seed"].values()]
        ax.scatter([i] * len(pts), pts, color="black", s=12, zorder=3)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.set_title(name, fontsize=10)
    ax.set_ylabel(f"{res['metric']} − {res['paired']}, held-out avg@n (points)")
