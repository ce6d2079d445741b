"""Stage ``report``, the pipeline's results: ``summary.json``, ``report.md`` (tables) and PNG plots.

Plots: ``sft_loss.png`` (training loss per step), ``rl_reward.png`` (mean reward per GRPO step),
``avg_at_n.png`` (held-out avg@n of base, SFT and RL with 95% intervals). SFT − base and RL − SFT
are paired comparisons over the held-out problems (:mod:`eval.paired` on the eval's ``samples.jsonl``):
the mean per-problem difference with a bootstrap 95% interval and up/down/unchanged counts. Everything
is read from the pipeline state and the files the stages wrote, so the report can be rebuilt at will.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import MODELS
from xcoder.io import atomic_write_json, atomic_write_text

if TYPE_CHECKING:
    from pipeline.config import PipelineConfig
    from pipeline.state import State

LABELS = {"base": "base (random init)", "sft": "after SFT", "rl": "after SFT + GRPO"}
# Paired differences the summary reports: key -> (model A, model B, label); the value is B - A.
DIFFERENCES = {"sft_minus_base": ("base", "sft", "SFT − base"), "rl_minus_sft": ("sft", "rl", "RL − SFT")}


def moving_average(values: list[float], window: int) -> list[float]:
    """Trailing mean of the last ``window`` values at each point (fewer at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def smoothing_window(num_points: int) -> int:
    """The moving-average window the reward and loss plots use."""
    return max(3, num_points // 10)


def _plot_curve(path: Path, points: list[tuple[float, float]], title: str, ylabel: str) -> bool:
    if not points:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(points) >= 10:  # noisy per-step values: show them faintly, with a moving average
        k = smoothing_window(len(points))
        smooth = moving_average(ys, k)
        ax.plot(xs, ys, color="#4c72b0", alpha=0.3, linewidth=1, label="per step")
        ax.plot(xs, smooth, color="#4c72b0", linewidth=2, label=f"mean of last {k}")
        ax.legend(fontsize=8)
    else:
        ax.plot(xs, ys, marker="o", markersize=3)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def _plot_bars(path: Path, evals: dict[str, Any], n: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [m for m in ("base", "sft", "rl") if m in evals]
    values = [100 * evals[m][f"avg@{n}"] for m in names]
    lows = [100 * (evals[m][f"avg@{n}"] - evals[m][f"avg@{n}_ci95"][0]) for m in names]
    highs = [100 * (evals[m][f"avg@{n}_ci95"][1] - evals[m][f"avg@{n}"]) for m in names]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    bars = ax.bar(
        [LABELS[m] for m in names],
        values,
        yerr=[lows, highs],
        capsize=4,
        color=["#9e9e9e", "#4c72b0", "#dd8452"][: len(names)],
    )
    for bar, v in zip(bars, values):
        ax.annotate(
            f"{v:.1f}",
            (bar.get_x() + bar.get_width() / 2, v),
            ha="center",
            va="bottom",
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_ylabel(f"held-out avg@{n} (%)")
    ax.set_ylim(0, max(100.0, max(values, default=0) + 10))
    ax.set_title("Held-out procedural tasks (unseen phrasings)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _history(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def paired_differences(eval_dir: Path, models: set[str] | list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``eval.paired`` comparisons for each of :data:`DIFFERENCES` whose two models were evaluated
    (``eval_dir/<model>/samples.jsonl``): ``{key: PairedComparison}``. Deterministic (bootstrap seed 0)."""
    from eval.paired import PairedRun, paired_bootstrap, per_problem_scores

    out = {}
    for key, (a, b, _) in DIFFERENCES.items():
        paths = [eval_dir / m / "samples.jsonl" for m in (a, b)]
        if a in models and b in models and all(p.is_file() for p in paths):
            out[key] = paired_bootstrap(PairedRun(per_problem_scores(paths[0]), per_problem_scores(paths[1])))
    return out


def comparison_from_dict(data: dict[str, Any]) -> Any:
    """A ``PairedComparison`` back from its ``to_dict()`` (as stored in summary.json)."""
    from dataclasses import fields

    from eval.paired import PairedComparison

    return PairedComparison(**{f.name: data[f.name] for f in fields(PairedComparison)})


def difference_line(label: str, comparison: Any) -> str:
    """``RL − SFT: +2.4 points (95% CI −1.0 .. +5.9, paired over 210 problems; up 20, down 11, ...)``."""
    c = comparison
    return (
        f"{label}: {100 * c.diff:+.1f} points ({100 * c.confidence:.0f}% CI {100 * c.ci_low:+.1f} .. "
        f"{100 * c.ci_high:+.1f}, paired over {c.num_problems} held-out problems; up {c.up}, down {c.down}, "
        f"unchanged {c.unchanged}; sign test p = {c.sign_test_p:.2g})"
    )


def build_summary(cfg: PipelineConfig, state: State) -> dict[str, Any]:
    n = cfg.eval.n
    evals = state.get("eval").get("info", {})
    summary: dict[str, Any] = {}
    for name in ("base", "sft", "rl"):
        if name in evals:
            e = evals[name]
            summary[name] = {
                f"avg@{n}": e[f"avg@{n}"],
                f"avg@{n}_ci95": e.get(f"avg@{n}_ci95"),
                f"pass@{n}": e.get(f"pass@{n}"),
                "num_problems": e.get("num_problems"),
                "verdicts": e.get("verdicts"),
                "by_difficulty": e.get("by_difficulty"),
                "by_platform": e.get("by_platform"),
            }
    if "base" in summary and "sft" in summary:
        summary["sft_minus_base"] = round(summary["sft"][f"avg@{n}"] - summary["base"][f"avg@{n}"], 4)
    if "sft" in summary and "rl" in summary:
        summary["rl_minus_sft"] = round(summary["rl"][f"avg@{n}"] - summary["sft"][f"avg@{n}"], 4)
    # The same differences, paired over the held-out problems: <key>_ci (bootstrap 95% interval),
    # <key>_counts (problems up/down/unchanged) and the whole comparison under "paired".
    paired = paired_differences(cfg.out / "eval", [m for m in MODELS if m in summary])
    for key, c in paired.items():
        summary[f"{key}_ci"] = [round(c.ci_low, 4), round(c.ci_high, 4)]
        summary[f"{key}_counts"] = {"up": c.up, "down": c.down, "unchanged": c.unchanged}
    if paired:
        summary["paired"] = {key: c.to_dict() for key, c in paired.items()}
    stages = state.data.get("stages", {})
    timings = {s: v.get("seconds") for s, v in stages.items() if s != "report"}
    summary["timings_seconds"] = {**timings, "total": round(sum(t for t in timings.values() if t), 1)}
    data, model, verify = (
        stages.get("data", {}).get("info", {}),
        stages.get("model", {}).get("info", {}),
        stages.get("verify", {}).get("info", {}),
    )
    summary["sizes"] = {
        "families": data.get("families"),
        "train_tasks": data.get("train_tasks"),
        "candidates": data.get("candidates"),
        "test_inputs": data.get("test_inputs"),
        "verified_tasks": verify.get("stages", {}).get("verify", {}).get("kept"),
        "sft_rows": verify.get("sft_rows"),
        "golden_roles": verify.get("golden_roles"),
        "candidates_passing_suite": verify.get("candidates_passing_suite"),
        "test_inputs_without_majority": verify.get("test_inputs_without_majority"),
        "holdout_problems": data.get("holdout_problems"),
        "model_parameters": model.get("parameters"),
        "vocab": model.get("vocab"),
        "sft_steps": stages.get("sft", {}).get("info", {}).get("steps"),
        "grpo_steps": stages.get("grpo", {}).get("info", {}).get("steps"),
    }
    if cfg.select.enabled:  # the optional select stage: RL rows GRPO trained on
        summary["sizes"]["rl_rows_selected"] = stages.get("select", {}).get("info", {}).get("counts", {}).get("kept")
    summary["eval_protocol"] = {
        "n": n,
        "temperature": cfg.eval.temperature,
        "top_p": cfg.eval.top_p,
        "max_tokens": cfg.eval.max_tokens,
    }
    summary["time_budget_minutes"] = cfg.time_budget_minutes
    return summary


def _fmt(v: Any, pct: bool = True) -> str:
    if v is None:
        return "–"
    return f"{100 * v:.1f}" if pct else f"{v}"


def write_report(cfg: PipelineConfig, state: State) -> dict[str, Any]:
    """Write summary.json, the plots and report.md; returns the summary."""
    out = cfg.out
    n = cfg.eval.n
    summary = build_summary(cfg, state)
    atomic_write_json(out / "summary.json", summary)

    sft_hist = _history(out / "sft" / "log_history.json")
    rl_hist = _history(out / "rl" / "log_history.json")
    plots = {}
    if _plot_curve(
        out / "sft_loss.png", [(h["step"], h["loss"]) for h in sft_hist if "loss" in h], "SFT training loss", "loss"
    ):
        plots["sft_loss"] = "sft_loss.png"
    if _plot_curve(
        out / "rl_reward.png",
        [(h["step"], h["reward"]) for h in rl_hist if "reward" in h],
        "GRPO mean reward",
        "reward",
    ):
        plots["rl_reward"] = "rl_reward.png"
    evals = {m: summary[m] for m in ("base", "sft", "rl") if m in summary}
    if evals:
        _plot_bars(out / "avg_at_n.png", evals, n)
        plots["avg_at_n"] = "avg_at_n.png"

    lines = [
        "# xcoder demo pipeline",
        "",
        "Tiny model trained from scratch on procedural tasks, evaluated on a held-out split of unseen "
        "instances written in unseen phrasings and framings (LiveCodeBench format, avg@n protocol).",
        "",
    ]
    if evals:
        lines += [
            f"## Held-out avg@{n}",
            "",
            f"| model | avg@{n} (%) | 95% CI | pass@{n} (%) | problems |",
            "|---|---:|---:|---:|---:|",
        ]
        for m, e in evals.items():
            ci = e.get(f"avg@{n}_ci95") or [None, None]
            lines.append(
                f"| {LABELS[m]} | {_fmt(e[f'avg@{n}'])} | {_fmt(ci[0])}–{_fmt(ci[1])} | "
                f"{_fmt(e.get(f'pass@{n}'))} | {e.get('num_problems')} |"
            )
        lines.append("")
        paired = {key: comparison_from_dict(d) for key, d in summary.get("paired", {}).items()}
        for key, (_, _, label) in DIFFERENCES.items():
            if key in paired:
                lines.append(f"- {difference_line(label, paired[key])}")
            elif key in summary:
                lines.append(f"- {label}: {100 * summary[key]:+.1f} points")
        if paired:
            lines += [
                "",
                "Paired differences: the mean over held-out problems of the per-problem avg@n difference; the "
                "interval is a percentile bootstrap over problems (eval.paired); up/down count the problems "
                "the later model solves more/less often.",
            ]
        lines.append("")
        platforms = sorted({p for e in evals.values() for p in (e.get("by_platform") or {})})
        if platforms:
            lines += [
                "### By style",
                "",
                "| model | " + " | ".join(platforms) + " |",
                "|---|" + "---:|" * len(platforms),
            ]
            for m, e in evals.items():
                lines.append(
                    f"| {LABELS[m]} | "
                    + " | ".join(_fmt((e.get("by_platform") or {}).get(p)) for p in platforms)
                    + " |"
                )
            lines.append("")
        lines += [
            "### Sample outcomes",
            "",
            "| model | " + " | ".join(sorted({v for e in evals.values() for v in (e.get("verdicts") or {})})) + " |",
        ]
        kinds = sorted({v for e in evals.values() for v in (e.get("verdicts") or {})})
        lines.append("|---|" + "---:|" * len(kinds))
        for m, e in evals.items():
            lines.append(
                f"| {LABELS[m]} | " + " | ".join(str((e.get("verdicts") or {}).get(k, 0)) for k in kinds) + " |"
            )
        lines.append("")
    sizes = summary["sizes"]
    lines += ["## Data and model", "", "| what | value |", "|---|---:|"]
    for key, value in sizes.items():
        lines.append(
            f"| {key.replace('_', ' ')} | {json.dumps(value) if isinstance(value, dict) else _fmt(value, False)} |"
        )
    lines += ["", "## Timings (wall clock, this machine)", "", "| stage | seconds |", "|---|---:|"]
    for stage, secs in summary["timings_seconds"].items():
        lines.append(f"| {stage} | {secs if secs is not None else '–'} |")
    budget = cfg.time_budget_minutes
    total = summary["timings_seconds"]["total"]
    if budget:
        verdict = "within" if total <= 60 * budget else "OVER"
        lines += [
            "",
            f"Total {total / 60:.1f} min: {verdict} the {budget:g}-minute budget. Stage times are summed "
            "over the runs that produced them (a resumed run does not redo finished stages).",
        ]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{k}]({v})" for k, v in plots.items()]
    atomic_write_text(out / "report.md", "\n".join(lines) + "\n")
    return {"plots": plots, **{k: summary.get(k) for k in ("sft_minus_base", "rl_minus_sft")}}


__all__ = [
    "DIFFERENCES",
    "build_summary",
    "comparison_from_dict",
    "difference_line",
    "moving_average",
    "paired_differences",
    "write_report",
]
