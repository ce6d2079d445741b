"""Stage 9, ``export``: the SFT and RL datasets, and a dataset card.

``output_dir/export/`` receives

* ``sft.jsonl`` / ``sft.parquet`` — :class:`~data_gen.records.SFTRow`: ``messages`` is the task's
  LiveCodeBench prompt (``xcoder.prompts.build_messages``, the prompt the solutions were sampled
  with) followed by the golden solution's full response (its separate reasoning put back as
  ``<think>...</think>`` when ``export.include_reasoning``);
* ``rl.jsonl`` / ``rl.parquet`` — :class:`~data_gen.records.RLRow`: ``prompt`` (chat messages),
  ``input_output`` (JSON text: inputs, outputs, fn_name) and metadata (style, features,
  difficulty, pass rate, vote shares);
* ``README.md`` — a dataset card with counts per stage, drop reasons, style mix and difficulty,
  whose YAML header lets ``datasets.load_dataset(output_dir/export, "sft" | "rl")`` find the files;
* ``difficulty.png`` — the difficulty labels and pass-rate histogram.

All files are written atomically; the stage is one global step (shard 0).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from data_gen.config import STAGES
from data_gen.records import RLRow, SFTRow, VerifiedTask
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.solutions import task_messages
from data_gen.storage import StageSummary, stage_summary
from xcoder.config import config_to_dict
from xcoder.hashing import digest
from xcoder.io import atomic_write_jsonl, atomic_write_text


def assistant_text(vt: VerifiedTask, include_reasoning: bool) -> str:
    response = vt.golden.response.strip()
    if include_reasoning and vt.golden.reasoning and "<think>" not in response:
        return f"<think>\n{vt.golden.reasoning.strip()}\n</think>\n\n{response}"
    return response


def sft_row(vt: VerifiedTask, config: Any) -> SFTRow:
    messages = task_messages(vt.task, config)
    messages.append({"role": "assistant", "content": assistant_text(vt, config.export.include_reasoning)})
    return SFTRow(
        id=vt.task.id,
        messages=messages,
        style=vt.task.style,
        difficulty=vt.difficulty,
        source=vt.task.provenance.source,
    )


def rl_row(vt: VerifiedTask, config: Any) -> RLRow:
    problem = vt.to_problem()
    shares = [t.vote_share for t in vt.tests]
    return RLRow(
        id=vt.task.id,
        prompt=task_messages(vt.task, config),
        input_output=json.dumps(problem.to_input_output(), ensure_ascii=False),
        question_content=vt.task.question,
        starter_code=vt.task.starter_code,
        style=vt.task.style,
        difficulty=vt.difficulty,
        features=json.dumps(vt.task.features, ensure_ascii=False),
        pass_rate=vt.proxy_pass_rate if vt.proxy_pass_rate is not None else vt.pass_rate,
        golden_score=vt.golden_score,
        vote_share_min=min(shares),
        vote_share_mean=round(sum(shares) / len(shares), 4),
        num_tests=len(vt.tests),
        source=vt.task.provenance.source,
        checker=vt.checker,
        time_limit=vt.time_limit,
        flags=list(vt.checks.get("flags", [])),
    )


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    """Atomically write rows as Parquet (pyarrow infers nested types: messages become lists of structs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def difficulty_plot(path: Path, labels: Counter, rates: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    order = ["easy", "medium", "hard"]
    left.bar(order, [labels.get(k, 0) for k in order], color=["#59a14f", "#f28e2b", "#e15759"])
    left.set_title("difficulty labels")
    left.set_ylabel("tasks")
    right.hist(rates, bins=[i / 10 for i in range(11)], color="#4e79a7", edgecolor="white")
    right.set_title("pass rate (share of samples solving the task)")
    right.set_xlabel("pass rate")
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)


def label_error_estimate(
    summaries: list[StageSummary], tasks: list[VerifiedTask]
) -> tuple[float | None, float | None]:
    """Share of cross-checked test labels the brute-force solver disagreed with: over every task
    verify voted (before the checks acted) and over the exported tasks (surviving)."""
    verify = next((s for s in summaries if s.stage == "verify"), None)
    before = None
    if verify is not None and verify.notes.get("cross_check:tests"):
        before = verify.notes.get("cross_check:disagree", 0) / verify.notes["cross_check:tests"]
    checked = sum(vt.checks.get("cross_check", {}).get("tests", 0) for vt in tasks)
    wrong = sum(vt.checks.get("cross_check", {}).get("disagree", 0) for vt in tasks)
    return before, (wrong / checked if checked else None)


def suite_checks_section(summaries: list[StageSummary], tasks: list[VerifiedTask]) -> list[str]:
    """The dataset card's account of the suite checks: label-error estimate, mutation scores, flags."""
    before, after = label_error_estimate(summaries, tasks)
    pct = lambda x: "n/a" if x is None else f"{100 * x:.2f}%"
    scores = [vt.checks["mutation_score"] for vt in tasks if vt.checks.get("mutation_score") is not None]
    flags = Counter(f for vt in tasks for f in vt.checks.get("flags", []))
    lines = [
        "",
        "## Test-suite checks",
        "",
        "Estimated wrong test labels (voted outputs of small inputs that an independently prompted brute-force "
        f"solver disagrees with): {pct(before)} of the cross-checked labels before the checks, {pct(after)} in "
        "this dataset.",
        "",
        f"- tasks with a checker (multi-answer): {sum(vt.checker is not None for vt in tasks)}",
        "- mutation score (share of output-changing mutants and losing candidates the tests reject): "
        + (f"mean {sum(scores) / len(scores):.3f}, min {min(scores):.3f}" if scores else "n/a"),
        "- flagged tasks: " + (", ".join(f"{f} {n}" for f, n in flags.most_common()) or "none"),
    ]
    notes = [(s.stage, r, n) for s in summaries for r, n in sorted(s.notes.items())]
    if notes:
        lines += ["", "| stage | check | count |", "|---|---|---:|"]
        lines += [f"| {stage} | {r} | {n} |" for stage, r, n in notes]
    return lines


def dataset_card(
    name: str,
    summaries: list[StageSummary],
    tasks: list[VerifiedTask],
    formats: list[str],
    config: Any,
    directory: Path,
) -> str:
    styles = Counter(vt.task.style for vt in tasks)
    labels = Counter(vt.difficulty or "unlabelled" for vt in tasks)
    sources = Counter(vt.task.provenance.source for vt in tasks)
    ext = "parquet" if "parquet" in formats else "jsonl"
    lines = [
        "---",
        "configs:",
        "- config_name: sft",
        f"  data_files: sft.{ext}",
        "- config_name: rl",
        f"  data_files: rl.{ext}",
        "tags:",
        "- code",
        "- synthetic",
        "- competitive-programming",
        "---",
        "",
        f"# {name}",
        "",
        "Synthetic competitive-programming tasks made by xcoder's SynthSmith pipeline "
        "(features → evolve → tree → tasks → solutions → tests → verify → filter → export): every task's "
        "expected outputs were majority-voted over sampled solutions run in a sandbox, and its golden solution "
        "passed a held-out half of the tests.",
        "",
        f"- generator model: `{config.llm.model}`",
        f"- tasks: {len(tasks)}; SFT rows: {len(tasks)}; RL rows: {len(tasks)}",
        f"- files: {', '.join(f'sft.{f}, rl.{f}' for f in formats)}",
        "",
        "```python",
        "import datasets",
        f'sft = datasets.load_dataset("{directory}", "sft", split="train")',
        f'rl = datasets.load_dataset("{directory}", "rl", split="train")',
        "```",
        "",
        "## Counts per stage",
        "",
        "| stage | items | kept | dropped |",
        "|---|---:|---:|---:|",
    ]
    for s in summaries:
        lines.append(f"| {s.stage} | {s.items} | {s.kept} | {sum(s.dropped.values())} |")
    lines += ["", "## Drop reasons", "", "| stage | reason | count |", "|---|---|---:|"]
    for s in summaries:
        for reason, n in sorted(s.dropped.items(), key=lambda x: (-x[1], x[0])):
            lines.append(f"| {s.stage} | {reason} | {n} |")
    lines += ["", "## Style mix", "", "| style | tasks | share |", "|---|---:|---:|"]
    for style, n in styles.most_common():
        lines.append(f"| {style} | {n} | {100 * n / max(1, len(tasks)):.1f}% |")
    lines += ["", "## Difficulty", "", "![difficulty](difficulty.png)", "", "| label | tasks |", "|---|---:|"]
    for label in ("easy", "medium", "hard", "unlabelled"):
        if labels.get(label):
            lines.append(f"| {label} | {labels[label]} |")
    lines += ["", "## Sources", "", "| source | tasks |", "|---|---:|"]
    lines += [f"| {src} | {n} |" for src, n in sources.most_common()]
    lines += suite_checks_section(summaries, tasks)
    lines += [
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps({k: v for k, v in config_to_dict(config).items() if k != "llm"}, indent=1, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)


class ExportStage(Stage):
    name = "export"
    inputs = ("filter",)
    single_item = True

    def items(self) -> Iterable[WorkItem]:
        self._tasks = self.ctx.read("filter", VerifiedTask)
        options = digest(
            json.dumps(config_to_dict(self.config.export), sort_keys=True) + str(self.config.solutions.system_prompt),
            12,
        )
        return [WorkItem(f"export:{options}:{digest(' '.join(vt.id for vt in self._tasks), 12)}")]

    async def process(self, item: WorkItem) -> ItemResult:
        cfg = self.config.export
        tasks = self._tasks
        if not tasks:
            raise Drop("no_tasks")
        out = self.ctx.output_dir / self.name
        out.mkdir(parents=True, exist_ok=True)
        sft = [sft_row(vt, self.config).to_dict() for vt in tasks]
        rl = [rl_row(vt, self.config).to_dict() for vt in tasks]
        for stem, rows in (("sft", sft), ("rl", rl)):
            if "jsonl" in cfg.formats:
                atomic_write_jsonl(out / f"{stem}.jsonl", rows)
            if "parquet" in cfg.formats:
                write_parquet(out / f"{stem}.parquet", rows)
        labels = Counter(vt.difficulty for vt in tasks)
        rates = [vt.proxy_pass_rate if vt.proxy_pass_rate is not None else vt.pass_rate for vt in tasks]
        difficulty_plot(out / "difficulty.png", labels, rates)
        summaries = [stage_summary(self.ctx.output_dir, s) for s in STAGES if s != self.name]
        summaries.append(StageSummary(self.name, items=len(tasks), kept=len(tasks)))
        atomic_write_text(out / "README.md", dataset_card(cfg.name, summaries, tasks, cfg.formats, self.config, out))
        return ItemResult(kept=len(tasks))


STAGE = ExportStage
