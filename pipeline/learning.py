"""The learning benchmark (``python benchmarks/learning.py``): does SFT, then GRPO, improve the tiny model
on held-out problems beyond noise, seed after seed?

Each seed is one full pipeline run (:func:`pipeline.runner.run_pipeline`) of the base config with the
benchmark's overrides deep-merged in (``recipes/tiny/learning.yaml``; the merge and the per-run config
are :mod:`pipeline.ablations`'), in ``output_dir/seed_<s>``; a rerun resumes finished stages. The runs
are then pooled:

* SFT − base and RL − SFT as paired comparisons over the held-out problems (:mod:`eval.paired`), per
  seed and pooled over seeds by a bootstrap stratified by seed (each seed samples its own held-out
  split, so problems are resampled within their seed);
* GRPO's start against its end on its own training tasks (:mod:`pipeline.train_probe`, run after each
  seed's pipeline run): the SFT and RL models' pass rates on the RL rows (all, or a seeded subset) at
  GRPO's sampling settings, paired per row, per seed and pooled (stratified by seed);
* the GRPO training reward per step of each seed (``rl/log_history.json``), its moving average, and
  whether it rose (:func:`reward_trend`; with a few prompts per step it mostly measures which prompts
  came up, hence the probe); the revisited tasks (:func:`revisit_pair`) and the in-run pass rate above
  the SFT model's on the tasks each step drew (:func:`adjusted_trend`), both from GRPO's ``group_log``;
* the spread between seeds (:func:`eval.paired.between_runs`, each seed's mean one observation), and
  RL − SFT per held-out task family (:mod:`pipeline.families`), which shows whole families moving;
* a verdict against the targets: pooled RL − SFT ≥ ``target_points`` with its 95% interval above 0,
  and the training reward rising on every seed (:func:`rise_measure` says which measure decides).

Results: ``learning.json``, ``learning.md`` (table), ``learning.png`` (reward curves, the in-run pass
rate above SFT's, the paired differences with their intervals, the probe), ``learning_families.png``
(when the held-out rows name their family), and the table on the console.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import families as fam
from pipeline.config import STAGES, load_pipeline_config
from pipeline.locate import locate
from pipeline.report import DIFFERENCES, moving_average, smoothing_window
from pipeline.train_probe import DEFAULT_K, DEFAULT_ROWS, probe_pair, probe_plan, run_train_probe
from xcoder.config import read_yaml
from xcoder.io import atomic_write_json, atomic_write_text

DEFAULT_CONFIG = "recipes/tiny/pipeline.yaml"
DEFAULT_OVERRIDES = "recipes/tiny/learning.yaml"
DEFAULT_OUTPUT = "runs/learning"
TARGET_POINTS = 3.0  # RL − SFT, percentage points, pooled over seeds
RESAMPLES = 10_000
COLORS = [  # 12 distinct colours: a seed keeps its colour across the panels
    *("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"),
    *("#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd", "#1b3a6b", "#7a1f1f"),
]


def seed_dir(output_dir: str | Path, seed: int) -> Path:
    return Path(output_dir) / f"seed_{seed}"


@dataclass
class RewardTrend:
    """Whether the GRPO training reward rose: the mean of the last third of the logged steps against the
    mean of the first third. ``rising`` when the difference exceeds its standard error,
    ``sqrt(var_first / k + var_last / k)`` (sample variances, k steps per third; it treats steps as
    independent, which consecutive GRPO steps are not quite). None with fewer than 6 logged steps."""

    steps: int
    first_third: float | None
    last_third: float | None
    diff: float | None
    se: float | None
    rising: bool | None


def reward_trend(rewards: Sequence[float]) -> RewardTrend:
    k = len(rewards) // 3
    if k < 2:
        return RewardTrend(len(rewards), None, None, None, None, None)
    first, last = list(rewards[:k]), list(rewards[-k:])
    diff = statistics.mean(last) - statistics.mean(first)
    se = math.sqrt(statistics.variance(first) / k + statistics.variance(last) / k)
    return RewardTrend(len(rewards), statistics.mean(first), statistics.mean(last), diff, se, diff > se)


def reward_points(run: Path) -> list[tuple[float, float]]:
    """(step, mean reward) per logged GRPO step of one run (``rl/log_history.json``)."""
    path = run / "rl" / "log_history.json"
    history = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    return sorted((h["step"], h["reward"]) for h in history if "reward" in h and "step" in h)


def read_groups(run: Path) -> list[dict[str, Any]] | None:
    """The scored groups of a run's GRPO (``rl/groups.jsonl``, its ``group_log``), or None without the file."""
    from xcoder.train.grpo_trainer import GROUPS_FILE

    path = run / "rl" / GROUPS_FILE
    if not path.is_file():
        return None
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def revisit_pair(run: Path) -> tuple[Any, dict[str, Any]] | None:
    """The training reward of each task GRPO drew more than once, at its first visit (A) and its last (B),
    from ``rl/groups.jsonl`` (GRPO's ``group_log``): did the policy get better at the same tasks, whichever
    prompts a step happened to draw. None without the file or without a revisited task."""
    from eval.paired import PairedRun

    visits: dict[str, list[tuple[int, float]]] = {}
    for g in read_groups(run) or []:
        if g.get("mean_reward") is not None:
            visits.setdefault(g["task"], []).append((g["step"], g["mean_reward"]))
    again = {t: sorted(v) for t, v in visits.items() if len({step for step, _ in v}) > 1}
    if not again:
        return None
    first = {t: v[0][1] for t, v in again.items()}
    last = {t: v[-1][1] for t, v in again.items()}
    gaps = [v[-1][0] - v[0][0] for v in again.values()]
    return PairedRun(first, last), {
        "tasks": len(visits),
        "revisited": len(again),
        "mean_gap_steps": statistics.mean(gaps),
    }


def revisit_summary(run: Path, seed: int, resamples: int = RESAMPLES) -> dict[str, Any] | None:
    """:func:`revisit_pair` as a paired bootstrap (last visit − first) with its counts, or None."""
    from eval.paired import paired_bootstrap

    pair = revisit_pair(run)
    return {**paired_bootstrap(pair[0], resamples=resamples, seed=seed).to_dict(), **pair[1]} if pair else None


def adjusted_trend(
    run: Path, sft: Mapping[str, float], seed: int = 0, resamples: int = RESAMPLES
) -> dict[str, Any] | None:
    """The training curve with the tasks' difficulty taken out: each scored group's pass rate
    (``rl/groups.jsonl``, GRPO's ``group_log``) minus ``sft``, the SFT model's pass rate on the same task
    (the training-task probe, sampled at GRPO's own settings), the last third of the steps against the first,
    bootstrapped over groups. GRPO starts from the SFT model, so the first third sits near 0 whichever tasks
    it drew, and a policy that learns lifts the last third above it. Also the per-step mean (``curve``) for
    the plot. None without the file, with fewer than 6 steps, or without a matched group in each third."""
    from eval.paired import unpaired_bootstrap

    groups = read_groups(run)
    steps = sorted({g["step"] for g in groups or []})
    k = len(steps) // 3
    if groups is None or k < 2:
        return None
    matched = [
        (g["step"], g["pass_rate"] - sft[g["task"]])
        for g in groups
        if g.get("pass_rate") is not None and g["task"] in sft
    ]
    head, tail = set(steps[:k]), set(steps[-k:])
    first = [d for step, d in matched if step in head]
    last = [d for step, d in matched if step in tail]
    if not first or not last:
        return None
    by_step: dict[int, list[float]] = {}
    for step, d in matched:
        by_step.setdefault(step, []).append(d)
    curve = {"steps": sorted(by_step), "values": [statistics.mean(by_step[st]) for st in sorted(by_step)]}
    result = unpaired_bootstrap(first, last, resamples=resamples, seed=seed)
    return {**result, "steps": len(steps), "groups": len(groups), "matched": len(matched), "curve": curve}


def model_scores(run: Path) -> dict[str, dict[str, float]]:
    """Per-problem avg@n of each evaluated model of one run: ``{model: {question_id: score}}``."""
    from eval.paired import per_problem_scores

    return {
        m: per_problem_scores(run / "eval" / m / "samples.jsonl")
        for m in ("base", "sft", "rl")
        if (run / "eval" / m / "samples.jsonl").is_file()
    }


def _minutes(run: Path) -> float | None:
    path = run / "pipeline_state.json"
    if not path.is_file():
        return None
    stages = json.loads(path.read_text(encoding="utf-8")).get("stages", {})
    seconds = [v.get("seconds") for s, v in stages.items() if s != "report" and v.get("seconds")]
    return round(sum(seconds) / 60, 1) if seconds else None


def pool(
    output_dir: str | Path, seeds: Sequence[int], *, resamples: int = RESAMPLES, target_points: float = TARGET_POINTS
) -> dict[str, Any]:
    """Everything the benchmark reports, from the seeds' run directories (missing pieces are left out)."""
    from eval.paired import PairedRun, between_runs, paired_bootstrap

    per_seed: dict[str, Any] = {}
    pairs: dict[str, list[PairedRun]] = {key: [] for key in DIFFERENCES}
    probes: list[PairedRun] = []
    for seed in seeds:
        run = seed_dir(output_dir, seed)
        scores = model_scores(run)
        points = reward_points(run)
        row: dict[str, Any] = {
            "run": str(run),
            "problems": len(next(iter(scores.values()))) if scores else 0,
            "avg": {m: sum(s.values()) / len(s) for m, s in scores.items() if s},
            "reward": {"steps": [p[0] for p in points], "values": [p[1] for p in points]},
            "reward_trend": asdict(reward_trend([p[1] for p in points])),
            "minutes": _minutes(run),
        }
        families = fam.holdout_families(run)
        for key, (a, b, _) in DIFFERENCES.items():
            if a in scores and b in scores:
                pair = PairedRun(scores[a], scores[b], clusters=families or None)
                pairs[key].append(pair)
                row[key] = paired_bootstrap(pair, resamples=resamples, seed=seed).to_dict()
        if families and "sft" in scores and "rl" in scores:
            row["families"] = fam.family_differences(scores["sft"], scores["rl"], families)
            row["moved"] = fam.moved_summary(row["families"])
            plan = probe_plan(run)
            if plan:
                counts = fam.row_families(plan["rows_file"])
                for family, cell in row["families"].items():
                    cell["grpo_rows"] = counts.get(family, 0)
        row["revisit"] = revisit_summary(run, seed, resamples)
        probe = probe_pair(run)
        row["train_probe"] = row["adjusted"] = None
        if probe:
            probes.append(probe[0])
            row["train_probe"] = {**paired_bootstrap(probe[0], resamples=resamples, seed=seed).to_dict(), **probe[1]}
            row["adjusted"] = adjusted_trend(run, probe[0].a, seed, resamples)
        per_seed[str(seed)] = row
    pooled = {key: paired_bootstrap(runs, resamples=resamples).to_dict() for key, runs in pairs.items() if runs}
    results = {
        "output_dir": str(output_dir),
        "seeds": list(seeds),
        "per_seed": per_seed,
        "pooled": pooled,
        "between_seeds": {key: between_runs(runs) for key, runs in pairs.items() if len(runs) >= 2},
        "pooled_by_family": {  # whole families resampled within each seed: reported, not a target
            key: paired_bootstrap(runs, resamples=resamples, by_cluster=True).to_dict()
            for key, runs in pairs.items()
            if runs and all(r.clusters for r in runs)
        },
        "train_probe_pooled": paired_bootstrap(probes, resamples=resamples).to_dict() if probes else None,
        "targets": {"rl_minus_sft_points": target_points, "rl_minus_sft_ci_above_zero": True, "reward_rising": "all"},
    }
    results["verdict"] = verdict(results, target_points)
    return results


def verdict(results: dict[str, Any], target_points: float = TARGET_POINTS) -> dict[str, Any]:
    """The targets, each met or not, and one line saying so."""
    rl = results["pooled"].get("rl_minus_sft")
    trends = {s: reward_rose(r) for s, r in results["per_seed"].items()}
    measures = [rise_measure(r) for r in results["per_seed"].values()]
    gain_met = bool(rl and 100 * rl["diff"] >= target_points and rl["ci_low"] > 0)
    rising_met = bool(trends) and all(v is True for v in trends.values())
    if rl:
        gain = (
            f"RL − SFT {100 * rl['diff']:+.1f} points "
            f"(95% CI {100 * rl['ci_low']:+.1f} .. {100 * rl['ci_high']:+.1f}, "
            f"{rl['num_problems']} problems, {rl['num_runs']} seed(s))"
        )
    else:
        gain = "RL − SFT not measured (no eval of both models)"
    rising = sum(v is True for v in trends.values())
    adjusted = [r["adjusted"]["ci_low"] > 0 for r in results["per_seed"].values() if r.get("adjusted")]
    line = (
        f"{'MET' if gain_met and rising_met else 'NOT MET'}: {gain} [target ≥ {target_points:+.1f} with the "
        f"interval above 0: {'met' if gain_met else 'not met'}]; training reward rising on "
        f"{rising}/{len(trends)} seed(s) [target: all: {'met' if rising_met else 'not met'}; measured "
        + ", ".join(f"{MEASURES[m]} on {measures.count(m)}" for m in MEASURES if m in measures)
        + "]"
    )
    if adjusted:
        line += (
            f"; in the run, the pass rate above SFT's on the tasks each step drew rose on {sum(adjusted)}/"
            f"{len(adjusted)} seed(s) (last third − first, interval above 0; in one pass those tasks are new "
            "to the policy, so this measures transfer)"
        )
    between = results.get("between_seeds", {}).get("rl_minus_sft")
    if between:
        line += f"; {between_line('RL − SFT', between)} (reported, not a target)"
    probes = [r["train_probe"] for r in results["per_seed"].values() if r.get("train_probe")]
    rose = sum(p["ci_low"] > 0 for p in probes)
    return {
        "met": gain_met and rising_met,
        "rl_minus_sft_met": gain_met,
        "reward_rising_met": rising_met,
        "train_probe_rose": rose if probes else None,
        "train_probe_seeds": len(probes),
        "line": line,
    }


def family_lines(results: dict[str, Any]) -> list[str]:
    """Per seed: the held-out families RL moved as a whole, and how much of RL − SFT they make; over all
    seeds, how a family's share of the GRPO rows goes with its held-out move."""
    lines = []
    link = fam.rows_vs_moves(families_per_seed(results))
    if link:
        lines.append(
            f"a family's share of its seed's GRPO rows against its held-out RL − SFT: correlation "
            f"{link['r']:+.2f} over {link['cells']} family × seed cells"
        )
    for seed, r in results["per_seed"].items():
        m = r.get("moved")
        if not m:
            continue
        moved = ", ".join([f"{f} up" for f in m["up"]] + [f"{f} down" for f in m["down"]]) or "none"
        lines.append(
            f"seed {seed}: families that moved ≥ {100 * m['shift']:.0f} points as a whole: {moved}; they make "
            f"{100 * m['moved_part']:+.1f} of its {100 * r['rl_minus_sft']['diff']:+.1f} points, the other "
            f"families {100 * m['rest_part']:+.1f}"
        )
    return lines


def families_per_seed(results: dict[str, Any]) -> dict[str, Any]:
    """``{seed: per-family RL − SFT}`` for the seeds whose held-out rows name their family."""
    return {s: r["families"] for s, r in results["per_seed"].items() if r.get("families")}


def note_lines(results: dict[str, Any]) -> list[str]:
    """The lines under the table, in learning.md and on the console alike."""
    return probe_lines(results) + between_lines(results) + family_lines(results)


def between_line(label: str, c: dict[str, Any]) -> str:
    """The interval between seeds in one phrase (:func:`eval.paired.between_runs`)."""
    return (
        f"between seeds, each seed's mean one observation: {label} {100 * c['diff']:+.1f} points "
        f"(95% t interval {100 * c['ci_low']:+.1f} .. {100 * c['ci_high']:+.1f}, SD {100 * c['sd']:.1f} over "
        f"{c['num_runs']} seeds)"
    )


def between_lines(results: dict[str, Any]) -> list[str]:
    """One line per difference measured on two or more seeds, and per difference whose held-out problems
    name their family, the interval with whole families resampled (:func:`eval.paired.paired_bootstrap`'s
    ``by_cluster``)."""
    lines = [
        between_line(DIFFERENCES[key][2], c) for key, c in results.get("between_seeds", {}).items() if c is not None
    ]
    for key, c in results.get("pooled_by_family", {}).items():
        lines.append(
            f"families resampled within each seed (one family's problems move together): {DIFFERENCES[key][2]} "
            f"{100 * c['diff']:+.1f} points (95% CI {100 * c['ci_low']:+.1f} .. {100 * c['ci_high']:+.1f}, "
            f"{c['clusters']} families in {c['num_runs']} seed(s))"
        )
    return lines


MEASURES = {  # how a seed's "training reward rising" was decided, best first
    "train_probe": "on the same training tasks at GRPO's start and end (the probe, interval above 0)",
    "revisit": "on the tasks GRPO revisited (last visit − first, interval above 0)",
    "thirds": "by the raw per-step thirds",
}


def rise_measure(row: dict[str, Any]) -> str:
    """Which measure decides whether a seed's training reward rose. The training-task probe when the run
    has it: GRPO's objective is the expected reward on its training tasks, and the probe estimates it at the
    start (SFT) and the end (RL) on the same tasks at GRPO's sampling settings, paired per task. Else the
    tasks GRPO revisited (:func:`revisit_pair`), else the per-step thirds (:func:`reward_trend`), which with
    few prompts per step mostly say which prompts came up. The in-run curve adjusted by SFT's pass rates
    (:func:`adjusted_trend`) is reported but does not decide: in one pass each step's tasks are new to the
    policy, so it measures transfer to unseen tasks, like the held-out split."""
    return "train_probe" if row.get("train_probe") else "revisit" if row.get("revisit") else "thirds"


def reward_rose(row: dict[str, Any]) -> bool | None:
    """Whether a seed's training reward rose, by :func:`rise_measure`'s choice."""
    measure = rise_measure(row)
    if measure == "thirds":
        return row["reward_trend"]["rising"]
    return row[measure]["ci_low"] > 0


def _rising(c: dict[str, Any] | None, count: Callable[[dict[str, Any]], str], fmt: str = ".3f") -> str:
    """A before → after comparison with its interval and ``count`` (what it was measured on), yes/no."""
    if not c:
        return "–"
    return (
        f"{c['mean_a']:{fmt}} → {c['mean_b']:{fmt}} ({c['diff']:+.3f}, {c['ci_low']:+.3f} .. {c['ci_high']:+.3f}; "
        f"{count(c)}) {'yes' if c['ci_low'] > 0 else 'no'}"
    )


def _pts(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def _diff(c: dict[str, Any] | None) -> str:
    if not c:
        return "–"
    return f"{100 * c['diff']:+.1f} ({100 * c['ci_low']:+.1f} .. {100 * c['ci_high']:+.1f})"


def _counts(c: dict[str, Any] | None) -> str:
    return "–" if not c else f"{c['up']}/{c['down']}/{c['unchanged']}"


def _probe(c: dict[str, Any] | None) -> str:
    if not c:
        return "–"
    return f"{100 * c['mean_a']:.1f} → {100 * c['mean_b']:.1f} ({_diff(c)})"


def probe_lines(results: dict[str, Any]) -> list[str]:
    """One line per seed with a probe, then the pooled one: SFT x% → RL y% on the training tasks."""
    entries = [(f"seed {s}", r.get("train_probe")) for s, r in results["per_seed"].items()]
    entries.append(("pooled", results.get("train_probe_pooled")))
    lines = []
    for name, c in entries:
        if not c:
            continue
        where = f"{c['num_problems']} rows" + (f", {c['num_runs']} seeds" if c["num_runs"] > 1 else "")
        if "k" in c:
            where += f" × {c['k']} samples at temperature {c['temperature']:g}, {c['max_tokens']} tokens"
        lines.append(
            f"training tasks, {name}: SFT {100 * c['mean_a']:.1f}% → RL {100 * c['mean_b']:.1f}% "
            f"({100 * c['diff']:+.1f} points, 95% CI {100 * c['ci_low']:+.1f} .. {100 * c['ci_high']:+.1f}; "
            f"rows up/down/same {_counts(c)}; {where})"
        )
    return lines


def _trend(t: dict[str, Any]) -> str:
    if t["rising"] is None:
        return f"– ({t['steps']} steps)"
    return (
        f"{t['first_third']:.3f} → {t['last_third']:.3f} ({t['diff']:+.3f} ± {t['se']:.3f}) "
        f"{'yes' if t['rising'] else 'no'}"
    )


COLUMNS = [
    "seed",
    "problems",
    "base",
    "SFT",
    "RL",
    "SFT − base (95% CI)",
    "RL − SFT (95% CI)",
    "RL vs SFT up/down/same",
    "training tasks SFT → RL % (RL − SFT, 95% CI)",
    "reward first → last third (± SE) rising",
    "reward on revisited tasks, first → last visit (95% CI) rising",
    "pass rate above SFT's on the step's tasks, first → last third (95% CI) rising",
    "minutes",
]


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    """The table's rows: one per seed, then the pooled row."""
    rows = []
    for seed, r in results["per_seed"].items():
        rows.append(
            [
                seed,
                str(r["problems"]),
                *(_pts(r["avg"].get(m)) for m in ("base", "sft", "rl")),
                _diff(r.get("sft_minus_base")),
                _diff(r.get("rl_minus_sft")),
                _counts(r.get("rl_minus_sft")),
                _probe(r.get("train_probe")),
                _trend(r["reward_trend"]),
                _rising(r.get("revisit"), lambda c: f"{c['revisited']} tasks"),
                _rising(r.get("adjusted"), lambda c: f"{c['n_a']}+{c['n_b']} groups", "+.3f"),
                "–" if r["minutes"] is None else f"{r['minutes']:.1f}",
            ]
        )
    pooled = results["pooled"]
    any_pooled = next(iter(pooled.values()), None)
    means = {}
    if pooled.get("sft_minus_base"):
        means = {"base": pooled["sft_minus_base"]["mean_a"], "sft": pooled["sft_minus_base"]["mean_b"]}
    if pooled.get("rl_minus_sft"):
        means |= {"sft": pooled["rl_minus_sft"]["mean_a"], "rl": pooled["rl_minus_sft"]["mean_b"]}
    minutes = [r["minutes"] for r in results["per_seed"].values() if r["minutes"] is not None]
    rising = [r["reward_trend"]["rising"] for r in results["per_seed"].values()]
    revisits = [r["revisit"]["ci_low"] > 0 for r in results["per_seed"].values() if r.get("revisit")]
    adjusted = [r["adjusted"]["ci_low"] > 0 for r in results["per_seed"].values() if r.get("adjusted")]
    rows.append(
        [
            "pooled",
            str(any_pooled["num_problems"]) if any_pooled else "0",
            *(_pts(means.get(m)) for m in ("base", "sft", "rl")),
            _diff(pooled.get("sft_minus_base")),
            _diff(pooled.get("rl_minus_sft")),
            _counts(pooled.get("rl_minus_sft")),
            _probe(results.get("train_probe_pooled")),
            f"rising on {sum(v is True for v in rising)}/{len(rising)}",
            f"rising on {sum(revisits)}/{len(revisits)}" if revisits else "–",
            f"rising on {sum(adjusted)}/{len(adjusted)}" if adjusted else "–",
            f"{sum(minutes):.1f} (total)" if minutes else "–",
        ]
    )
    return rows


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Learning benchmark",
        "",
        f"Seeds {results['seeds']}; held-out avg@n in %, differences in points with paired bootstrap 95% intervals "
        "over problems (pooled: stratified by seed). Training tasks: the pass rate of GRPO's start (SFT) and end "
        "(RL) on the same subset of GRPO's own training rows at its sampling temperature, paired per row. "
        "Reward: GRPO mean training reward per step, the mean of the last third of the steps against the first "
        "third; rising when the difference exceeds its standard error. Revisited tasks (GRPO's group_log, when "
        "a run draws a task more than once): each task's mean group reward at its first and last visit, paired "
        "per task; rising when the interval is above 0. Pass rate above SFT's (group_log and the probe): each "
        "scored group's pass rate minus the SFT model's probe pass rate on the same task, the last third of the "
        "steps against the first (bootstrap over groups): the in-run curve with the drawn tasks' difficulty taken "
        "out (in one pass, tasks new to the policy). Whether the training reward rose is decided by the training "
        "tasks (the probe) where a seed has it, else by the revisits, else by the per-step thirds. Between "
        "seeds: each seed's mean difference as one observation, a Student-t interval; it counts how far a new "
        "seed's training moves the result, which the stratified bootstrap holds fixed (reported, not a target).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join(["---"] + ["---:"] * 6 + ["---"] * (len(COLUMNS) - 8) + ["---:"]) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    notes = note_lines(results)
    if notes:
        lines += [""] + [f"- {line[0].upper()}{line[1:]}" for line in notes]
    per_family = families_per_seed(results)
    if per_family:
        lines += ["", *fam.markdown_table(per_family), "", "![per family](learning_families.png)"]
    lines += ["", f"**Verdict:** {results['verdict']['line']}", "", "![learning](learning.png)", ""]
    return "\n".join(lines)


def print_table(results: dict[str, Any], console: Console) -> None:
    table = Table(title="Learning benchmark (held-out avg@n %, differences in points)")
    for i, col in enumerate(COLUMNS):
        table.add_column(col, justify="right" if 0 < i < 7 else "left")
    rows = table_rows(results)
    for i, row in enumerate(rows):
        table.add_row(*row, style="bold" if i == len(rows) - 1 else None)
    console.print(table)
    for line in note_lines(results):
        console.print(escape(line), soft_wrap=True)


def plot(path: Path, results: dict[str, Any]) -> None:
    """Left: the GRPO training reward per seed (faint per step, bold moving average). Next: SFT − base
    and RL − SFT per seed and pooled, with their 95% intervals. Then, when runs have it, the pass rate above
    SFT's on each step's tasks (:func:`adjusted_trend`). Right, when a training-task probe ran: the SFT and
    RL pass rates on GRPO's training rows per seed and pooled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    probes = [(f"seed {s}", r["train_probe"]) for s, r in results["per_seed"].items() if r.get("train_probe")]
    if results.get("train_probe_pooled"):
        probes.append(("pooled", results["train_probe_pooled"]))
    adjusted = [(s, r["adjusted"]) for s, r in results["per_seed"].items() if r.get("adjusted")]
    if adjusted and probes:  # two rows: the training curves above, the before/after comparisons below
        fig, ((left, adjusted_ax), (right, probe_ax)) = plt.subplots(2, 2, figsize=(14, 8))
    else:
        ratios = [3, 3] + [3] * bool(adjusted) + [2] * bool(probes)
        fig, axes = plt.subplots(1, len(ratios), figsize=(2.7 * sum(ratios), 4), gridspec_kw={"width_ratios": ratios})
        left, right, adjusted_ax, probe_ax = axes[0], axes[1], axes[-1], axes[-1]
    if adjusted:
        plot_adjusted(adjusted_ax, adjusted, list(results["per_seed"]))
    if probes:
        plot_probes(probe_ax, probes)
    for i, (seed, r) in enumerate(results["per_seed"].items()):
        xs, ys = r["reward"]["steps"], r["reward"]["values"]
        if not ys:
            continue
        color = COLORS[i % len(COLORS)]
        k = smoothing_window(len(ys))
        left.plot(xs, ys, color=color, alpha=0.25, linewidth=1)
        trend = r["reward_trend"]
        mark = {True: "rising", False: "not rising", None: "too few steps"}[trend["rising"]]
        left.plot(xs, moving_average(ys, k), color=color, linewidth=2, label=f"seed {seed} ({mark}; mean of {k})")
    left.set_xlabel("GRPO step")
    left.set_ylabel("mean training reward")
    left.set_title("GRPO training reward per seed")
    left.grid(alpha=0.3)
    if left.get_legend_handles_labels()[0]:
        left.legend(fontsize=8)

    labels, diffs, lows, highs, colors, markers = [], [], [], [], [], []
    for key, (_, _, label) in DIFFERENCES.items():
        entries = [(f"seed {s}", r.get(key)) for s, r in results["per_seed"].items()]
        entries.append(("pooled", results["pooled"].get(key)))
        for name, c in entries:
            if not c:
                continue
            labels.append(f"{label}, {name}")
            diffs.append(100 * c["diff"])
            lows.append(100 * (c["diff"] - c["ci_low"]))
            highs.append(100 * (c["ci_high"] - c["diff"]))
            colors.append("#4c72b0" if key == "sft_minus_base" else "#dd8452")
            markers.append("D" if name == "pooled" else "o")
    ys = list(range(len(labels)))[::-1]
    if labels:
        for x, y, lo, hi, color, marker in zip(diffs, ys, lows, highs, colors, markers):
            right.errorbar([x], [y], xerr=[[lo], [hi]], fmt=marker, color=color, capsize=3)
        right.set_yticks(ys, labels, fontsize=8)
    right.axvline(0, color="black", linewidth=0.8)
    target = results["targets"]["rl_minus_sft_points"]
    right.axvline(target, color="#dd8452", linestyle="--", linewidth=0.8, label=f"RL − SFT target {target:+g}")
    right.set_xlabel("paired difference, points (95% CI)")
    right.set_title("Held-out paired differences")
    right.legend(fontsize=8)
    right.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_adjusted(ax: Any, adjusted: list[tuple[str, dict[str, Any]]], seeds: list[str]) -> None:
    """Per seed: the mean over a step's groups of pass rate − SFT's pass rate on the same task (faint), its
    moving average (bold), and the first- and last-third means as short flat segments."""
    for seed, c in adjusted:
        color = COLORS[seeds.index(seed) % len(COLORS)]
        xs, ys = c["curve"]["steps"], c["curve"]["values"]
        k = smoothing_window(len(ys))
        ax.plot(xs, ys, color=color, alpha=0.25, linewidth=1)
        mark = "rising" if c["ci_low"] > 0 else "not rising"
        ax.plot(xs, moving_average(ys, k), color=color, linewidth=2, label=f"seed {seed} ({mark}; mean of {k})")
        third = c["steps"] // 3
        ax.hlines(
            [c["mean_a"], c["mean_b"]],
            [xs[0], xs[-1] - third + 1],
            [xs[0] + third - 1, xs[-1]],
            color=color,
            linestyle="--",
            linewidth=1,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("pass rate − SFT's on the same tasks")
    ax.set_title("Training pass rate above SFT's (difficulty out)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot_probes(ax: Any, probes: list[tuple[str, dict[str, Any]]]) -> None:
    """A bar pair per seed (and pooled): SFT and RL pass rate on the training rows, RL − SFT above them
    (bold when its interval is above 0)."""
    xs = range(len(probes))
    sft = [100 * c["mean_a"] for _, c in probes]
    rl = [100 * c["mean_b"] for _, c in probes]
    ax.bar([x - 0.2 for x in xs], sft, width=0.4, color="#4c72b0", label="SFT (GRPO's start)")
    ax.bar([x + 0.2 for x in xs], rl, width=0.4, color="#dd8452", label="RL (GRPO's end)")
    crowded = len(probes) > 6  # the intervals no longer fit above the bars: the difference alone
    for x, (_, c), top in zip(xs, probes, map(max, sft, rl)):
        text = f"{100 * c['diff']:+.1f}"
        if not crowded:
            text += f"\n({100 * c['ci_low']:+.1f}..{100 * c['ci_high']:+.1f})"
        ax.text(x, top + 1, text, ha="center", va="bottom", fontsize=7, weight="bold" if c["ci_low"] > 0 else None)
    ax.set_xticks(list(xs), [name for name, _ in probes], fontsize=8)
    ax.set_ylim(0, max(sft + rl) * 1.35 + 5)
    ax.set_ylabel("pass rate on training rows, %")
    ax.set_title("GRPO's training tasks: start vs end" + (" (bold: interval above 0)" if crowded else ""))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, axis="y")


def write_results(
    output_dir: str | Path,
    seeds: Sequence[int],
    *,
    console: Console | None = None,
    resamples: int = RESAMPLES,
    target_points: float = TARGET_POINTS,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Pool the finished runs; write learning.json, learning.md, learning.png (and learning_families.png); print
    the table and verdict."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = {**pool(out, seeds, resamples=resamples, target_points=target_points), **(extra or {})}
    atomic_write_json(out / "learning.json", results)
    plot(out / "learning.png", results)
    per_family = families_per_seed(results)
    if per_family:
        fam.plot(out / "learning_families.png", per_family)
    atomic_write_text(out / "learning.md", markdown(results))
    if console is not None:
        print_table(results, console)
        console.print(f"results: {out / 'learning.md'}, {out / 'learning.json'}, {out / 'learning.png'}")
        console.print(f"[bold]verdict:[/bold] {escape(results['verdict']['line'])}", soft_wrap=True)
    return results


def run_learning(
    *,
    config: str | Path = DEFAULT_CONFIG,
    overrides: str | Path | None = DEFAULT_OVERRIDES,
    seeds: Sequence[int] = (0, 1, 2),
    output_dir: str | Path = DEFAULT_OUTPUT,
    stages: tuple[str, ...] = STAGES,
    console: Console | None = None,
    target_points: float = TARGET_POINTS,
    probe_rows: int | None = DEFAULT_ROWS,
    probe_k: int = DEFAULT_K,
) -> dict[str, Any]:
    """Run (or resume) the pipeline once per seed, each followed by its training-task probe (``probe_rows``
    rows × ``probe_k`` samples; None: every row, 0: none), then :func:`write_results`."""
    from pipeline.ablations import deep_merge, write_run_config
    from pipeline.runner import run_pipeline

    console = console or Console(stderr=True)
    config = locate(config, None, "config")
    overrides = locate(overrides, None, "overrides") if overrides else None
    merged = deep_merge(read_yaml(config), read_yaml(overrides) if overrides else {})
    configs = [load_pipeline_config(write_run_config(merged, seed_dir(output_dir, s), s)) for s in seeds]
    for seed, cfg in zip(seeds, configs):  # every seed's config checked above, before the first runs
        console.rule(f"[bold magenta]learning benchmark · seed {seed}")
        run_pipeline(cfg, stages=stages, console=console)
        if probe_rows != 0:
            run_train_probe(seed_dir(output_dir, seed), cfg, rows=probe_rows, k=probe_k, console=console)
    extra = {"config": str(config), "overrides": str(overrides) if overrides else None, "merged_config": merged}
    return write_results(output_dir, seeds, console=console, target_points=target_points, extra=extra)


def probe_runs(
    output_dir: str | Path,
    seeds: Sequence[int],
    *,
    rows: int | None = DEFAULT_ROWS,
    k: int = DEFAULT_K,
    console: Console | None = None,
    target_points: float = TARGET_POINTS,
) -> dict[str, Any]:
    """The training-task probe for the seeds' finished runs (each with its own ``pipeline.yaml``: the judge
    and generation settings), then :func:`write_results`; a run without a finished GRPO stage is skipped."""
    console = console or Console(stderr=True)
    for seed in seeds:
        run = seed_dir(output_dir, seed)
        if not (run / "pipeline.yaml").is_file():
            console.print(f"train probe: {run} has no pipeline.yaml (never ran); skipped")
            continue
        console.rule(f"[bold magenta]learning benchmark · train probe · seed {seed}")
        run_train_probe(run, load_pipeline_config(run / "pipeline.yaml"), rows=rows, k=k, console=console)
    return write_results(output_dir, seeds, console=console, target_points=target_points)


__all__ = [
    "RewardTrend",
    "adjusted_trend",
    "markdown",
    "plot",
    "pool",
    "probe_lines",
    "probe_runs",
    "reward_points",
    "reward_trend",
    "run_learning",
    "seed_dir",
    "verdict",
    "write_results",
]
