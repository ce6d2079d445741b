"""RL data selected by the policy's own pass rate (as DeepCoder and AceReason select theirs).

Each RL row (``prompt`` + ``input_output`` or ``test_file`` + ``question_id``, the layout
``xcoder.train.grpo`` trains on) is sampled k times with the policy that GRPO will start from (the
SFT model), through eval's generation backends with the row's own prompt, and each sample is judged
on the row's tests. A task the policy always solves or never solves gives GRPO groups of equal
rewards, i.e. no gradient; the rows whose pass rate lies in the band (default strictly between 0
and 1) are kept, with a ``pass_rate`` column (``curriculum_column: pass_rate`` orders GRPO by it).

Files (``out`` is the kept rows' JSONL; the others go beside it, named after its stem):

  OUT                       the kept rows, each with ``pass_rate``
  <stem>.pass_rates.jsonl   every row's question_id, passed, k, pass_rate and decision
  <stem>.report.md          the distribution (a row per number of passing samples) and the counts
  <stem>.pass_rates.png     the distribution as bars, kept ones highlighted
  <stem>.generations.jsonl  cached samples: a rerun with the same settings generates only what is missing
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eval.generate import Generation, GenerationConfig, SamplingConfig, generate_cached, generation_fingerprint
from xcoder.config import config_to_dict, help_field
from xcoder.extract import extract_code
from xcoder.hashing import fingerprint
from xcoder.io import atomic_write_json, atomic_write_jsonl, atomic_write_text, iter_jsonl
from xcoder.judge import JudgeConfig
from xcoder.problem import Problem, ProblemFormatError, check_test_file, parse_input_output

log = logging.getLogger("eval.pass_rate")

DEFAULT_K = 8
ID_COLUMNS = ("question_id", "id")
# Decisions per row.
KEPT, TOO_EASY, TOO_HARD, NO_TESTS, BAD_ROW = "kept", "above_band", "below_band", "no_tests", "unreadable_row"
DECISIONS = (KEPT, TOO_EASY, TOO_HARD, NO_TESTS, BAD_ROW)


class SelectionError(ValueError):
    """The data or the settings cannot be used (a user error: one line, no traceback)."""


def parse_band(text: str) -> tuple[float, float]:
    """``"0,1"`` -> ``(0.0, 1.0)``: two pass rates in [0, 1], low <= high."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"band must be two pass rates 'LOW,HIGH' such as 0,1 or 0.1,0.9; got {text!r}") from None
    if not (0.0 <= low <= high <= 1.0):
        raise ValueError(f"band must satisfy 0 <= LOW <= HIGH <= 1; got {text!r}")
    return low, high


def in_band(rate: float, band: tuple[float, float], inclusive: bool) -> bool:
    low, high = band
    return low <= rate <= high if inclusive else low < rate < high


@dataclass
class SelectConfig:
    """``xcoder rl select`` (YAML for ``--config`` has this structure)."""

    data: str = help_field(
        "RL rows (JSONL: prompt + input_output or test_file + question_id), e.g. the data_gen export's rl.jsonl."
    )
    out: str = help_field(
        "Where the kept rows go (JSONL, each with a pass_rate column); the report and the "
        "generation cache go beside it."
    )
    generation: GenerationConfig = help_field(
        "Which model samples (the SFT model GRPO starts from).", default_factory=GenerationConfig
    )
    sampling: SamplingConfig = help_field(
        "How the k samples per task are drawn (n is k; default 8).",
        default_factory=lambda: SamplingConfig(temperature=1.0, top_p=1.0),
    )
    judge: JudgeConfig = help_field("How samples are executed.", default_factory=JudgeConfig)
    band: str = help_field("Pass rates kept, 'LOW,HIGH' (see inclusive).", default="0,1")
    inclusive: bool = help_field(
        "Keep pass rates equal to the band's ends too (default: strictly inside, so "
        "with 0,1 every task the policy sometimes but not always solves).",
        default=False,
    )
    extract_mode: Literal["last", "first", "longest"] = help_field(
        "Which fenced block is the program (as the rewards' extract_mode).", default="last"
    )
    limit: int | None = help_field("Only the first N rows (a quick look before a full run).", default=None)

    def __post_init__(self) -> None:
        self.band_values()
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1, got {self.limit}")

    @property
    def k(self) -> int:
        return self.sampling.n or DEFAULT_K

    def band_values(self) -> tuple[float, float]:
        return parse_band(self.band)

    def paths(self) -> dict[str, Path]:
        out = Path(self.out)
        stem = out.name[: -len(out.suffix)] if out.suffix else out.name
        return {
            "out": out,
            "rates": out.with_name(f"{stem}.pass_rates.jsonl"),
            "report": out.with_name(f"{stem}.report.md"),
            "plot": out.with_name(f"{stem}.pass_rates.png"),
            "generations": out.with_name(f"{stem}.generations.jsonl"),
            "state": out.with_name(f"{stem}.state.json"),
        }


# --------------------------------------------------------------------------------------------
# Rows -> problems


@dataclass
class Task:
    """One RL row and what is needed to sample and judge it."""

    index: int
    row: dict[str, Any]
    problem: Problem | None  # None: no usable tests
    reason: str = ""
    results: list[bool] = field(default_factory=list)


def rl_problem(row: dict[str, Any], where: str) -> Problem:
    """The judge's problem for an RL row: the tests of ``input_output`` (or the pytest file in
    ``test_file``), ``checker`` if any, and the row's chat prompt as what the model is asked."""
    qid = next((row[c] for c in ID_COLUMNS if row.get(c) not in (None, "")), None)
    if qid is None:
        raise ProblemFormatError(f"{where}: no 'question_id'")
    prompt = row.get("prompt")
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]
    if (
        not isinstance(prompt, list)
        or not prompt
        or not all(isinstance(m, dict) and isinstance(m.get("content"), str) and m.get("role") for m in prompt)
    ):
        raise ProblemFormatError(f"{where} (question_id={qid}): 'prompt' must be text or chat messages")
    metadata = {"messages": prompt}
    if isinstance(row.get("test_file"), str) and row["test_file"].strip():
        return Problem(
            question_id=str(qid), tests=[], test_file=check_test_file(row["test_file"], where=where), metadata=metadata
        )
    raw = row.get("input_output")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ProblemFormatError(f"{where} (question_id={qid}): no tests (empty input_output and no test_file)")
    tests, fn_name = parse_input_output(raw, where=f"{where} (question_id={qid})")
    if not tests:
        raise ProblemFormatError(f"{where} (question_id={qid}): no tests")
    return Problem(
        question_id=str(qid), tests=tests, fn_name=fn_name, checker=row.get("checker") or None, metadata=metadata
    )


def read_tasks(path: str | Path, limit: int | None = None) -> list[Task]:
    """The RL rows as tasks; rows without usable tests stay (they are reported as dropped)."""
    path = Path(path)
    if not path.is_file():
        raise SelectionError(f"data file not found: {path}")
    tasks: list[Task] = []
    seen: set[str] = set()
    for lineno, row, error in iter_jsonl(path):
        if limit is not None and len(tasks) >= limit:
            break
        where = f"{path}:{lineno}"
        if error is not None or not isinstance(row, dict):
            tasks.append(Task(len(tasks), {}, None, BAD_ROW))
            log.info("dropping %s", error or f"{where}: not a JSON object")  # counted in the report
            continue
        try:
            problem = rl_problem(row, where)
        except (ProblemFormatError, ValueError) as exc:
            reason = NO_TESTS if "no tests" in str(exc) else BAD_ROW
            log.info("dropping %s", exc)
            tasks.append(Task(len(tasks), row, None, reason))
            continue
        if problem.question_id in seen:
            raise SelectionError(f"{where}: question_id {problem.question_id!r} appears twice")
        seen.add(problem.question_id)
        tasks.append(Task(len(tasks), row, problem))
    if not tasks:
        raise SelectionError(f"{path} holds no rows")
    if not any(t.problem for t in tasks):
        raise SelectionError(
            f"{path}: no row has usable tests (RL rows need prompt + input_output or test_file + question_id)"
        )
    return tasks


# --------------------------------------------------------------------------------------------
# Sampling and judging


def _generate(cfg: SelectConfig, problems: list[Problem]) -> dict[tuple[str, int], Generation]:
    """Cached samples plus the missing ones; the cache is dropped when the settings changed."""
    paths, k = cfg.paths(), cfg.k
    sampling = SamplingConfig(**{**config_to_dict(cfg.sampling), "n": k})
    cache = None
    if cfg.generation.backend != "samples":
        state = {"generation": generation_fingerprint(cfg.generation, sampling)}
        old = json.loads(paths["state"].read_text()) if paths["state"].exists() else None
        if old != state:
            paths["generations"].unlink(missing_ok=True)
        atomic_write_json(paths["state"], state)
        cache = paths["generations"]
    return generate_cached(cfg.generation, sampling, problems, k, cache)


def _judge(cfg: SelectConfig, tasks: list[Task], gens: dict[tuple[str, int], Generation]) -> None:
    """Fill each task's ``results`` (k booleans: the sample passed every test). A missing sample, a
    sample without code or a refused request counts as a failure."""
    from xcoder.judge import Judge

    jobs: list[tuple[Task, int, str]] = []
    for task in tasks:
        if task.problem is None:
            continue
        task.results = [False] * cfg.k
        for i in range(cfg.k):
            g = gens.get((task.problem.question_id, i))
            if g is None or g.error:
                continue
            code = g.code if g.code is not None else extract_code(g.output, mode=cfg.extract_mode)
            if code:
                jobs.append((task, i, code))
    if not jobs:
        return
    with Judge(cfg.judge) as judge:
        results = judge.judge_batch(
            [(t.problem, code) for t, _, code in jobs],
            progress=True,
            description="judging samples",
            stop_on_first_failure=True,
        )
    for (task, i, _), res in zip(jobs, results):
        task.results[i] = bool(res.accepted)


# --------------------------------------------------------------------------------------------
# The run


def select_by_pass_rate(cfg: SelectConfig) -> dict[str, Any]:
    """Sample, judge, keep the rows in the band and write the files; returns the summary."""
    band = cfg.band_values()
    tasks = read_tasks(cfg.data, cfg.limit)
    if cfg.generation.backend == "samples" and cfg.sampling.n is None:  # k: the file's samples per task
        from eval.generate import SamplesBackend

        lists = SamplesBackend(cfg.generation, cfg.sampling).rows.values()
        cfg.sampling.n = max((len(r["code_list"] or r["output_list"] or []) for r in lists), default=DEFAULT_K)
    problems = [t.problem for t in tasks if t.problem is not None]
    gens = _generate(cfg, problems)
    _judge(cfg, tasks, gens)
    kept_rows, details = [], []
    for task in tasks:
        qid = task.problem.question_id if task.problem else task.row.get("question_id")
        if task.problem is None:
            details.append({"question_id": qid, "decision": task.reason})
            continue
        passed = sum(task.results)
        rate = passed / cfg.k
        if in_band(rate, band, cfg.inclusive):
            task.reason = KEPT
            kept_rows.append({**task.row, "pass_rate": rate})
        else:
            task.reason = TOO_EASY if rate >= band[1] else TOO_HARD
        details.append({"question_id": qid, "passed": passed, "k": cfg.k, "pass_rate": rate, "decision": task.reason})
    paths = cfg.paths()
    paths["out"].parent.mkdir(parents=True, exist_ok=True)
    atomic_write_jsonl(paths["out"], kept_rows)
    atomic_write_jsonl(paths["rates"], details)
    summary = summarize(cfg, details)
    atomic_write_text(paths["report"], report_markdown(cfg, summary))
    plot_distribution(summary, paths["plot"])
    return summary


def summarize(cfg: SelectConfig, details: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by decision and the distribution: tasks (and kept tasks) per number of passing samples."""
    k = cfg.k
    scored = [d for d in details if "passed" in d]
    histogram = [
        {
            "passed": j,
            "pass_rate": j / k,
            "tasks": sum(d["passed"] == j for d in scored),
            "kept": sum(d["passed"] == j and d["decision"] == KEPT for d in scored),
        }
        for j in range(k + 1)
    ]
    counts = Counter(d["decision"] for d in details)
    rates = [d["pass_rate"] for d in scored]
    return {
        "rows": len(details),
        "k": k,
        "band": cfg.band,
        "inclusive": cfg.inclusive,
        "counts": {name: counts.get(name, 0) for name in DECISIONS},
        "mean_pass_rate": sum(rates) / len(rates) if rates else None,
        "histogram": histogram,
        "settings_fingerprint": fingerprint(config_to_dict(cfg)),
    }


def report_markdown(cfg: SelectConfig, summary: dict[str, Any]) -> str:
    low, high = cfg.band_values()
    band = f"[{low:g}, {high:g}]" if cfg.inclusive else f"({low:g}, {high:g})"
    counts = summary["counts"]
    mean = summary["mean_pass_rate"]
    lines = [
        f"# RL data selected by pass rate: {cfg.data}",
        "",
        f"Model `{cfg.generation.model or cfg.generation.samples_path}` ({cfg.generation.backend}), "
        f"k = {summary['k']} samples per task at temperature {cfg.sampling.temperature:g}; kept: pass rate in "
        f"{band}. Mean pass rate {'-' if mean is None else f'{mean:.3f}'}.",
        "",
        "| passing samples | pass rate | tasks | kept |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {h['passed']}/{summary['k']} | {h['pass_rate']:.3f} | {h['tasks']} | {h['kept']} |"
        for h in summary["histogram"]
    ]
    lines += ["", "| decision | rows |", "|---|---:|"]
    labels = {
        KEPT: "kept",
        TOO_EASY: "dropped: pass rate at or above the band",
        TOO_HARD: "dropped: pass rate at or below the band",
        NO_TESTS: "dropped: no tests",
        BAD_ROW: "dropped: unreadable row",
    }
    lines += [f"| {labels[name]} | {counts[name]} |" for name in DECISIONS]
    lines += [f"| total | {summary['rows']} |", "", "![pass rates](" + cfg.paths()["plot"].name + ")", ""]
    return "\n".join(lines)


def plot_distribution(summary: dict[str, Any], path: Path) -> None:
    """Bars of tasks per number of passing samples; the kept part drawn over them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hist = summary["histogram"]
    xs = [h["passed"] for h in hist]
    fig, ax = plt.subplots(figsize=(max(5, 0.5 * len(xs) + 2), 3.5))
    ax.bar(xs, [h["tasks"] for h in hist], color="#bbbbbb", label="all tasks")
    ax.bar(xs, [h["kept"] for h in hist], color="#1f77b4", label="kept")
    ax.set_xticks(xs, [f"{x}/{summary['k']}" for x in xs])
    ax.set_xlabel("samples passing all tests")
    ax.set_ylabel("tasks")
    ax.set_title(f"Policy pass rate per task (k = {summary['k']})")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


__all__ = [
    "SelectConfig",
    "SelectionError",
    "in_band",
    "parse_band",
    "read_tasks",
    "rl_problem",
    "select_by_pass_rate",
    "summarize",
]
