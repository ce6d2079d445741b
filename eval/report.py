"""Human-facing results: paper-style markdown tables, CSV, and PNG plots; run comparison.

The main table is the one papers print (X-Coder, DeepCoder, LCB leaderboards):
``Model | Easy | Medium | Hard | Overall avg@n | pass@n`` with percentages to one decimal,
where the difficulty columns are avg@n on that difficulty.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.scoring import DIFFICULTIES
from xcoder.io import atomic_write_text

RESULTS_FILE = "eval_results.json"


def pct(value: float | None) -> str:
    """0.629 -> '62.9'; missing -> '–'."""
    return "–" if value is None else f"{100 * value:.1f}"


def _metric(group: dict[str, Any] | None, key: str) -> float | None:
    if not group or not group.get("num_problems"):
        return None
    return group.get(key)


BENCHMARK_NAMES = {
    "lcb": "LiveCodeBench",
    "humaneval": "HumanEval",
    "mbpp": "MBPP",
    "humaneval_plus": "HumanEval+",
    "mbpp_plus": "MBPP+",
}


def benchmark_name(results: dict[str, Any]) -> str:
    return BENCHMARK_NAMES.get((results.get("selection") or {}).get("benchmark") or "lcb", "LiveCodeBench")


def problems_label(results: dict[str, Any], count: int | None = None) -> str:
    """What a table's numbers are over, e.g. ``v5: 2024-08-01 – 2025-02-01, 279 problems`` or
    ``HumanEval, 164 problems``."""
    sel = results.get("selection") or {}
    if count is None:
        count = results.get("num_problems")
        if count is None:
            count = (results.get("overall") or {}).get("num_problems", 0)
    window = sel.get("window")
    if window:
        span = f"{window.get('start') or '…'} – {window.get('end') or '…'}"
        where = f"{window['name']}: {span}" if window.get("name") else span
    elif sel.get("benchmark", "lcb") == "lcb":
        where = "LiveCodeBench, all dates"
    else:
        where = benchmark_name(results)
    return f"{where}, {count} problems"


def summary_row(results: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """The paper-table numbers of one run, as fractions (None where a group is empty)."""
    n = results["n"]
    avg = f"avg@{n}"
    row: dict[str, Any] = {"model": name or results.get("name", "model"), "n": n}
    for d in DIFFICULTIES:
        row[d] = _metric(results["by_difficulty"].get(d), avg)
    row["overall"] = _metric(results["overall"], avg)
    row["pass@n"] = _metric(results["overall"], f"pass@{n}")
    row["num_problems"] = results["overall"].get("num_problems", 0)
    row["problems"] = problems_label(results, row["num_problems"])
    return row


def paper_table(rows: Sequence[dict[str, Any]]) -> str:
    """Markdown table, one line per run. Runs with different n share the table; the header
    names n when all agree."""
    ns = {r["n"] for r in rows}
    n_label = str(ns.pop()) if len(ns) == 1 else "n"
    head = ["Model", "Easy", "Medium", "Hard", f"Overall avg@{n_label}", f"pass@{n_label}", "Problems"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 2) + ["---"]) + "|"]
    for r in rows:
        cells = [r["model"]] + [pct(r[d]) for d in DIFFICULTIES] + [pct(r["overall"]), pct(r["pass@n"])]
        cells.append(r.get("problems") or f"{r.get('num_problems', '?')} problems")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _group_table(groups: dict[str, dict[str, Any]], n: int, title: str) -> str:
    ks = [
        k.split("@")[1]
        for k in next((g for g in groups.values() if g.get("num_problems")), {})
        if k.startswith("pass@")
    ]
    head = [title, "Problems", f"avg@{n}", "95% CI"] + [f"pass@{k}" for k in ks]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for name, g in groups.items():
        if not g.get("num_problems"):
            lines.append("| " + " | ".join([name, "0"] + ["–"] * (len(head) - 2)) + " |")
            continue
        lo, hi = g[f"avg@{n}_ci95"]
        cells = [name, str(g["num_problems"]), pct(g[f"avg@{n}"]), f"{pct(lo)}–{pct(hi)}"]
        cells += [pct(g[f"pass@{k}"]) for k in ks]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_markdown(results: dict[str, Any]) -> str:
    n = results["n"]
    sel = results.get("selection", {})
    window = sel.get("window")
    cfg = results.get("config", {})
    parts = [f"# {benchmark_name(results)} evaluation: {results['name']}\n"]
    facts = [f"{results['overall'].get('num_problems', 0)} problems, {n} samples each"]
    if window:
        facts.append(
            f"contest dates {window.get('start') or '…'} to {window.get('end') or '…'} "
            f"(inclusive{', preset ' + window['name'] if window.get('name') else ''})"
        )
    sampling = cfg.get("sampling", {})
    if cfg.get("generation", {}).get("backend") != "samples" and sampling:
        facts.append(
            f"temperature {sampling.get('temperature')}, top_p {sampling.get('top_p')}, "
            f"max tokens {sampling.get('max_tokens')}, seed {sampling.get('seed')}"
        )
    facts.append(f"backend `{cfg.get('generation', {}).get('backend', '?')}`")
    parts.append("; ".join(facts) + ".\n")
    parts.append(paper_table([summary_row(results)]))
    parts.append(
        "Difficulty columns and Overall are avg@n (mean over problems of the fraction of correct "
        "samples, in %); pass@n uses the unbiased estimator.\n"
    )
    caption = f"Problems: {problems_label(results)}.\n"
    parts.append("## By difficulty\n")
    parts.append(caption)
    parts.append(_group_table({"overall": results["overall"], **results["by_difficulty"]}, n, "Difficulty"))
    parts.append("## By platform\n")
    parts.append(caption)
    parts.append(_group_table(results["by_platform"], n, "Platform"))
    parts.extend(_beside_sections(results))
    if results.get("verdicts"):
        parts.append("## Sample outcomes\n")
        parts.append(
            "| Outcome | Samples |\n|---|---:|\n"
            + "".join(f"| {k} | {v} |\n" for k, v in sorted(results["verdicts"].items(), key=lambda kv: -kv[1]))
        )
    errata = sel.get("errata_in_selection") or []
    if errata:
        parts.append("## Known-bad problems (LiveCodeBench ERRATA)\n")
        parts.append(
            f"{len(errata)} selected problem(s) are on LCB's errata list: {', '.join(errata)}. "
            f"Without them: avg@{n} {pct(results.get('overall_without_errata', {}).get(f'avg@{n}'))}. "
            "Pass --exclude-errata to leave them out.\n"
        )
        parts.append(_errata_table(results, errata))
    if results.get("warnings"):
        parts.append("## Warnings\n")
        parts.append("".join(f"- {w}\n" for w in results["warnings"]))
    return "\n".join(parts)


def _score_line(label: str, group: dict[str, Any] | None, n: int, results: dict[str, Any], extra: str = "") -> str:
    g = group or {}
    count = g.get("num_problems", 0)
    return (
        f"| {label} | {pct(_metric(g, f'avg@{n}'))} | {pct(_metric(g, f'pass@{n}'))} | "
        f"{problems_label(results, count)} | {extra} |\n"
    )


def _beside_sections(results: dict[str, Any]) -> list[str]:
    """The official score side by side with the others of the same samples (without errata,
    checker-corrected, the other judge semantics), and completion statistics."""
    n = results["n"]
    head = f"| Score | avg@{n} | pass@{n} | Problems | Differs from official |\n|---|---:|---:|---|---|\n"
    lines = [_score_line("official", results["overall"], n, results, "")]
    if results.get("overall_without_errata"):
        lines.append(
            _score_line(
                "without errata problems", results["overall_without_errata"], n, results, "errata problems left out"
            )
        )
    for v in (results.get("variants") or {}).values():
        reasons = "; ".join(f"{why}: {k} samples" for why, k in v.get("differing_by_reason", {}).items())
        lines.append(
            _score_line(
                v["label"],
                v["overall"],
                n,
                results,
                f"{v.get('differing_samples', 0)} samples" + (f" ({reasons})" if reasons else ""),
            )
        )
    parts = []
    if len(lines) > 1:
        parts += ["## Official score and the others\n", head + "".join(lines)]
    c = results.get("completions") or {}
    if c.get("samples_with_finish_reason"):
        parts.append("## Completions\n")
        rate = c.get("truncation_rate")
        mean = c.get("mean_tokens")
        parts.append(
            f"{c['truncated']} of {c['samples_with_finish_reason']} samples hit the token limit "
            f"(truncation rate {pct(rate)}%)"
            + (f"; mean completion length {mean:.0f} tokens" if mean else "")
            + f". Problems: {problems_label(results)}.\n"
        )
        if c.get("by_outcome"):
            rows = "".join(
                f"| {k} | {v['samples']} | {v['mean_tokens']:.0f} | {c['truncated_by_outcome'].get(k, 0)} |\n"
                for k, v in c["by_outcome"].items()
            )
            parts.append("| Outcome | Samples | Mean tokens | Truncated |\n|---|---:|---:|---:|\n" + rows)
    return parts


def _errata_table(results: dict[str, Any], errata: list[str]) -> str:
    from eval.errata import CATEGORY_LABELS, errata_version, load_errata

    table = load_errata()
    lines = ["| Problem | Category | LCB's note |", "|---|---|---|"]
    for qid in errata:
        e = table.get(qid, {})
        lines.append(
            f"| {qid} | {CATEGORY_LABELS.get(e.get('category', ''), e.get('category', '?'))} | "
            f"{e.get('note') or e.get('reason', '')} |"
        )
    return "\n".join(lines) + f"\n\nErrata list: {errata_version()}.\n"


CSV_FIELDS = ["model", "n", "num_problems", "easy", "medium", "hard", "overall", "pass@n"]


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as CSV with percentages (one decimal), empty where a group has no problems."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(
            {
                k: (r[k] if k in ("model", "n", "num_problems") else ("" if r[k] is None else f"{100 * r[k]:.1f}"))
                for k in CSV_FIELDS
            }
        )
    return buf.getvalue()


def _bars(
    rows: Sequence[dict[str, Any]], path: Path, title: str, errors: Sequence[Sequence[float]] | None = None
) -> None:
    """Grouped bars: x = Easy/Medium/Hard/Overall, one bar per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [*DIFFICULTIES, "overall"]
    width = 0.8 / max(1, len(rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(groups) * max(1, len(rows)) ** 0.5), 4))
    for j, r in enumerate(rows):
        xs = [g + (j - (len(rows) - 1) / 2) * width for g in range(len(groups))]
        vals = [100 * (r[g] or 0.0) for g in groups]
        bars = ax.bar(xs, vals, width, label=r["model"])
        if errors is not None and len(rows) == 1:
            lower = [max(0.0, v - 100 * lo) for v, (lo, _) in zip(vals, errors)]
            upper = [max(0.0, 100 * hi - v) for v, (_, hi) in zip(vals, errors)]
            ax.errorbar(xs, vals, yerr=[lower, upper], fmt="none", ecolor="black", capsize=3, linewidth=1)
        for bar, r_val, g in zip(bars, vals, groups):
            label = "–" if r[g] is None else f"{r_val:.1f}"
            ax.annotate(
                label,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
    n = rows[0]["n"] if len({r["n"] for r in rows}) == 1 else "n"
    ax.set_xticks(range(len(groups)), [g.capitalize() for g in groups])
    ax.set_ylabel(f"avg@{n} (%)")
    ax.set_ylim(0, 105)
    ax.set_title(title)
    if len(rows) > 1:
        ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


def write_run_report(results: dict[str, Any], out: Path) -> None:
    """report.md, report.csv and difficulty.png for one run."""
    row = summary_row(results)
    atomic_write_text(out / "report.md", run_markdown(results))
    atomic_write_text(out / "report.csv", csv_text([row]))
    n = results["n"]
    groups = [results["by_difficulty"].get(d, {}) for d in DIFFICULTIES] + [results["overall"]]
    errors = [g.get(f"avg@{n}_ci95") or [0.0, 0.0] for g in groups]  # 95% CI bars
    _bars([row], out / "difficulty.png", f"{benchmark_name(results)} avg@{n} by difficulty — {row['model']}", errors)


def load_results(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{run_dir}: no {RESULTS_FILE} (not an eval output directory, or the run has not finished)"
        )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def compare_runs(run_dirs: Sequence[str | Path], out_dir: str | Path, names: Sequence[str] | None = None) -> str:
    """Side-by-side table (compare.md / compare.csv) and grouped bars (compare.png) of runs.
    Notes when the runs were scored on different problems or n, which makes numbers incomparable."""
    if not run_dirs:
        raise ValueError("compare needs at least one run directory")
    if names and len(names) != len(run_dirs):
        raise ValueError(f"got {len(names)} names for {len(run_dirs)} runs")
    all_results = [load_results(d) for d in run_dirs]
    rows = [summary_row(r, names[i] if names else None) for i, r in enumerate(all_results)]
    seen: dict[str, int] = {}
    for r in rows:  # two runs of one model: keep labels distinct
        seen[r["model"]] = seen.get(r["model"], 0) + 1
        if seen[r["model"]] > 1:
            r["model"] = f"{r['model']} ({seen[r['model']]})"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notes = []
    windows = {json.dumps(r.get("selection", {}).get("window"), sort_keys=True) for r in all_results}
    counts = {r["overall"].get("num_problems") for r in all_results}
    if len(windows) > 1 or len(counts) > 1:
        notes.append("Runs differ in date window or number of problems; compare with care.")
    if len({r["n"] for r in rows}) > 1:
        notes.append("Runs differ in n (samples per problem).")
    md = ["# LiveCodeBench comparison\n", paper_table(rows)]
    md.append(
        "Runs: "
        + ", ".join(f"{r['model']} = `{d}` ({r['num_problems']} problems)" for r, d in zip(rows, run_dirs))
        + "\n"
    )
    md.extend(f"**Note:** {note}\n" for note in notes)
    text = "\n".join(md)
    atomic_write_text(out / "compare.md", text)
    atomic_write_text(out / "compare.csv", csv_text(rows))
    _bars(rows, out / "compare.png", "LiveCodeBench avg@n by difficulty")
    return text
