"""One evaluation run: select problems -> generate -> extract -> judge -> score -> report.

Generations and verdicts are cached per (problem, sample) in append-only JSONL files in the
output directory, written as each one finishes. Rerunning the same command after a crash or
kill continues where it stopped: cached samples are not regenerated (a fully cached run never
even loads the model), cached verdicts are not re-judged, and the final files are rewritten
from the caches, so the results are the same as an uninterrupted run's.

Files in OUTPUT_DIR:
  eval_results.json  overall / by_difficulty / by_platform scores, config, selection, verdict counts
  samples.jsonl      one row per problem, LiveCodeBench format (code_list, output_list, graded_list)
  report.md, report.csv, difficulty.png   (see eval.report)
  generations.jsonl, verdicts.jsonl, run_state.json   caches (safe to delete to start over)
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eval.benchmarks import program_for
from eval.dataset import DatasetConfig, load_selection
from eval.generate import (
    Generation,
    GenerationConfig,
    SamplingConfig,
    generate_cached,
    generation_fingerprint,
)
from eval.scoring import ProblemScore, score, score_group
from xcoder.cancel import Cancelled
from xcoder.config import config_to_dict, help_field
from xcoder.hashing import digest, fingerprint
from xcoder.io import JsonlAppender, atomic_write_json, atomic_write_jsonl, iter_jsonl_tolerant
from xcoder.judge import JudgeConfig
from xcoder.problem import Problem

log = logging.getLogger("eval.runner")

GENERATIONS = "generations.jsonl"
VERDICTS = "verdicts.jsonl"
STATE = "run_state.json"

# Per-sample outcomes that are not judge verdicts.
MISSING = "missing"  # the samples file has no such sample
NO_CODE = "no_code"  # no code block in the completion
GENERATION_ERROR = "generation_error"  # the server refused the request for good


class RunStateError(RuntimeError):
    """The output directory holds a run with different settings."""


@dataclass
class EvalConfig:
    """A whole evaluation run (``xcoder eval``; YAML for ``--config`` has this structure)."""

    dataset: DatasetConfig = help_field("Which benchmark problems to evaluate.")
    output_dir: str = help_field("Where results and caches go; rerun to resume.")
    generation: GenerationConfig = help_field("Which model answers and how.", default_factory=GenerationConfig)
    sampling: SamplingConfig = help_field("How completions are sampled.", default_factory=SamplingConfig)
    judge: JudgeConfig = help_field("How samples are executed and graded.", default_factory=JudgeConfig)
    name: str | None = help_field("Model label in reports (default: from the model or samples path).", default=None)
    extract_mode: Literal["last", "first", "longest"] = help_field(
        "Which fenced block is the program: last (as LCB), first, longest.", default="last"
    )
    overwrite: bool = help_field("Discard caches in the output dir made with other settings.", default=False)
    progress: bool = help_field("Reserved for switching progress bars off; not read yet.", default=True)
    other_semantics: bool = help_field(
        "Also judge every stdin/functional sample under the other judge semantics (xcoder vs lcb) and report that "
        "score beside the headline, with the differing samples counted by reason.",
        default=True,
    )
    seeds: str | None = help_field(
        "Comma-separated run seeds, e.g. 0,1,2: one run per seed (in OUTPUT_DIR/seed_<s>) and mean ± spread "
        "across them (eval.seeds).",
        default=None,
    )

    def __post_init__(self) -> None:
        self.seed_values()  # a malformed --seeds fails before anything runs

    def seed_values(self) -> list[int]:
        if not self.seeds:
            return []
        try:
            values = [int(part) for part in str(self.seeds).split(",") if part.strip()]
        except ValueError:
            raise ValueError(f"seeds must be comma-separated integers, got {self.seeds!r}") from None
        if len(set(values)) != len(values) or not values:
            raise ValueError(f"seeds must be distinct integers, got {self.seeds!r}")
        return values

    def label(self) -> str:
        if self.name:
            return self.name
        src = self.generation.model or self.generation.samples_path or "model"
        path = Path(src.rstrip("/"))
        if path.is_file():
            return path.stem  # samples.jsonl -> samples
        return path.name if path.is_dir() else src


# --------------------------------------------------------------------------------------------
# The run


def _check_state(out: Path, cfg: EvalConfig) -> dict[str, Any]:
    """Refuse to mix caches from different settings, unless --overwrite."""
    state = {"generation": generation_fingerprint(cfg.generation, cfg.sampling), "extract_mode": cfg.extract_mode}
    path = out / STATE
    if path.exists():
        old = json.loads(path.read_text())
        if old != state:
            if not cfg.overwrite:
                diff = sorted(
                    k
                    for k in set(old.get("generation", {})) | set(state["generation"])
                    if old.get("generation", {}).get(k) != state["generation"].get(k)
                )
                if old.get("extract_mode") != state["extract_mode"]:
                    diff.append("extract_mode")
                raise RunStateError(
                    f"{out} holds a run with different settings ({', '.join(diff)}); use another "
                    "--output-dir, or --overwrite to discard its cached generations and verdicts"
                )
            for name in (GENERATIONS, VERDICTS):
                (out / name).unlink(missing_ok=True)
    atomic_write_json(path, state)
    return state


def _generate(cfg: EvalConfig, out: Path, problems: list[Problem]) -> dict[tuple[str, int], Generation]:
    """Cached generations plus the missing ones from the backend (a samples file is re-read every time)."""
    cache = out / GENERATIONS if cfg.generation.backend != "samples" else None
    return generate_cached(cfg.generation, cfg.sampling, problems, cfg.sampling.n, cache)


def _judge(
    cfg: EvalConfig, out: Path, by_id: dict[str, Problem], codes: dict[tuple[str, int], str], salt: str = ""
) -> dict[tuple[str, int], dict[str, Any]]:
    """Cached verdicts plus fresh ones for the rest; judge errors are not cached (retried).
    ``salt`` keeps a variant's verdicts (eval.variants) apart from the official ones in the cache."""
    judge_fp = fingerprint(config_to_dict(cfg.judge), salt) if salt else fingerprint(config_to_dict(cfg.judge))
    verdicts: dict[tuple[str, int], dict[str, Any]] = {}
    for row in iter_jsonl_tolerant(out / VERDICTS, log.warning):
        key = (row.get("question_id"), row.get("sample"))
        if key in codes and row.get("code_sha") == digest(codes[key]) and row.get("judge") == judge_fp:
            verdicts[key] = row
    todo = [key for key in codes if key not in verdicts]
    if not todo:
        return verdicts
    from xcoder.judge import Judge, JudgeResult, Verdict

    cached_now = 0

    def on_result(t: int, res: JudgeResult) -> None:
        nonlocal cached_now
        q, i = todo[t]
        row = {
            "question_id": q,
            "sample": i,
            "code_sha": digest(codes[(q, i)]),
            "judge": judge_fp,
            "verdict": res.verdict.value,
            "passed": res.passed,
            "total": res.total,
            "time": round(res.time, 4),
            "isolation": res.isolation,
        }
        if res.error:
            row["error"] = res.error
        if getattr(res, "reason", None):  # lcb semantics: why LCB's runner differs
            row["reason"] = res.reason
        failing = next((t for t in res.tests if t.verdict.value not in ("accepted", "skipped")), None)
        if failing is not None:  # what eval.variants needs to explain a differing verdict
            row["failure"] = {"verdict": failing.verdict.value, "message": failing.message[:300]}
        if res.verdict is not Verdict.JUDGE_ERROR:
            appender.write(row)
            cached_now += 1
        verdicts[(q, i)] = row

    appender = JsonlAppender(out / VERDICTS)
    try:
        with Judge(cfg.judge) as judge:
            judge.judge_batch(
                [(by_id[q], codes[(q, i)]) for q, i in todo], progress=True, description="judging", on_result=on_result
            )
    except Cancelled:
        raise Cancelled(
            f"{len(codes) - len(todo) + cached_now} of {len(codes)} verdicts cached in {out / VERDICTS}"
        ) from None
    finally:
        appender.close()
    return verdicts


def _resolve_n(cfg: EvalConfig, by_id: dict[str, Problem]) -> int:
    """Samples per problem: as given, else 8. The samples backend takes it from the file (its largest
    count); an explicit ``--n`` above every row's count is an error naming the rows (below it, rows
    with fewer samples score them as missing and longer rows use their first n, with warnings)."""
    from eval.generate import DEFAULT_N, GenerationError, SamplesBackend

    n = cfg.sampling.n
    if cfg.generation.backend != "samples" or not cfg.generation.samples_path:
        return n or DEFAULT_N
    path = Path(cfg.generation.samples_path)
    if not path.is_file():
        return n or DEFAULT_N  # the backend reports the missing file
    counts = {
        q: len(r["code_list"] if r["code_list"] is not None else r["output_list"] or [])
        for q, r in SamplesBackend.read_rows(path).items()
        if q in by_id
    }
    if n is None:
        return max(counts.values(), default=DEFAULT_N) or DEFAULT_N
    most = max(counts.values(), default=n)
    if most < n:  # every row would be scored with missing samples: n cannot be what was meant
        other = sorted((q, c) for q, c in counts.items() if c != n)
        shown = ", ".join(f"{q} has {c}" for q, c in other[:5]) + (" ..." if len(other) > 5 else "")
        raise GenerationError(
            f"--n {n} disagrees with {path}: no problem there has {n} samples ({shown}); "
            "leave --n out to take it from the file"
        )
    return n


def run_eval(cfg: EvalConfig) -> dict[str, Any]:
    """Run (or resume) an evaluation and write all outputs; returns eval_results.json's content."""
    started = time.time()
    selection = load_selection(cfg.dataset)
    problems = selection.problems
    by_id = {p.question_id: p for p in problems}
    out = Path(cfg.output_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--output-dir {out} is a file, not a directory")
    cfg.sampling.n = _resolve_n(cfg, by_id)
    out.mkdir(parents=True, exist_ok=True)
    _check_state(out, cfg)
    n = cfg.sampling.n

    gens = _generate(cfg, out, problems)
    codes: dict[tuple[str, int], str] = {}
    for key, g in gens.items():
        code = program_for(by_id[key[0]], g.output, g.code, cfg.extract_mode)
        if code is not None and code.strip() and g.error is None:
            codes[key] = code
    verdicts = _judge(cfg, out, by_id, codes)

    rows, scores, outcome_counts = [], [], Counter()
    warnings: list[str] = []
    for p in problems:
        graded, outcomes, code_list, output_list = [], [], [], []
        for i in range(n):
            g = gens.get((p.question_id, i))
            if g is None:
                outcome = MISSING
            elif g.error is not None:
                outcome = GENERATION_ERROR
            elif (p.question_id, i) not in codes:
                outcome = NO_CODE
            else:
                outcome = verdicts[(p.question_id, i)]["verdict"]
            outcomes.append(outcome)
            graded.append(outcome == "accepted")
            code_list.append(codes.get((p.question_id, i), ""))
            output_list.append(g.output if g is not None else "")
        outcome_counts.update(outcomes)
        scores.append(ProblemScore(p.question_id, p.difficulty, p.platform, graded))
        row = {
            "question_id": p.question_id,
            "question_title": p.question_title,
            "platform": p.platform,
            "difficulty": p.difficulty,
            "contest_date": p.contest_date,
            "code_list": code_list,
            "output_list": output_list,
            "graded_list": graded,
            "verdicts": outcomes,
            "pass@1": sum(graded) / n,
        }
        if p.question_id in selection.errata:
            row["errata"] = selection.errata[p.question_id]
        rows.append(row)

    missing_problems = [r["question_id"] for r in rows if all(v == MISSING for v in r["verdicts"])]
    if outcome_counts[MISSING]:
        warnings.append(
            f"{outcome_counts[MISSING]} sample(s) missing from the samples file "
            f"({len(missing_problems)} problem(s) entirely); scored as failures"
        )
    if outcome_counts["judge_error"]:
        warnings.append(
            f"{outcome_counts['judge_error']} sample(s) hit a judge error (not the model's fault); "
            "scored as failures and not cached, rerun to retry"
        )
    if cfg.generation.backend == "samples":
        from eval.generate import SamplesBackend

        file_rows = SamplesBackend.read_rows(Path(cfg.generation.samples_path or ""))
        extra = len(set(file_rows) - set(by_id))
        if extra:
            warnings.append(f"{extra} problem(s) in the samples file are not in the selection; ignored")
        longer = sum(
            1 for q, r in file_rows.items() if q in by_id and len(r["code_list"] or r["output_list"] or []) > n
        )
        if longer:
            warnings.append(
                f"{longer} problem(s) have more than n={n} samples in the file; only the first {n} were scored"
            )
    for w in warnings:
        log.info(w)  # the caller shows results["warnings"]; logging them too printed each twice

    results: dict[str, Any] = {"name": cfg.label(), "n": n, **score(scores, n)}
    if selection.errata:
        results["overall_without_errata"] = score_group(
            [s for s in scores if s.question_id not in selection.errata], n
        )
    results.update(_extra_scores(cfg, out, selection, by_id, codes, verdicts, rows, gens, n))
    results["verdicts"] = dict(sorted(outcome_counts.items()))
    results["missing_problems"] = missing_problems
    results["warnings"] = warnings
    results["selection"] = selection.describe()
    results["config"] = _config_dict(cfg)
    results["elapsed_seconds"] = round(time.time() - started, 2)

    atomic_write_jsonl(out / "samples.jsonl", rows)
    atomic_write_json(out / "eval_results.json", results)
    from eval.report import write_run_report

    write_run_report(results, out)
    return results


def _extra_scores(
    cfg: EvalConfig,
    out: Path,
    selection: Any,
    by_id: dict[str, Problem],
    codes: dict[tuple[str, int], str],
    verdicts: dict[tuple[str, int], dict[str, Any]],
    rows: list[dict[str, Any]],
    gens: dict[tuple[str, int], Generation],
    n: int,
) -> dict[str, Any]:
    """Scores beside the official one (eval.variants: checkers, the other judge semantics) and
    completion statistics (eval.stats); each variant's per-sample grading goes into ``rows``."""
    from dataclasses import replace

    from eval.stats import completion_stats
    from eval.variants import make_variants, rescore

    extra: dict[str, Any] = {"completions": completion_stats(gens, rows)}
    variants = {}
    for variant in make_variants(cfg.judge, by_id, selection.checkers, cfg.other_semantics):
        sub = {k: c for k, c in codes.items() if k[0] in variant.problems}
        judged = _judge(replace(cfg, judge=variant.judge), out, variant.problems, sub, variant.salt)
        lcb_side = (
            "variant"
            if getattr(variant.judge, "semantics", None) == "lcb"
            else ("official" if getattr(cfg.judge, "semantics", None) == "lcb" else None)
        )
        variants[variant.name] = rescore(variant, rows, judged, verdicts, n, lcb_side, codes)
        for row in rows:
            if row["question_id"] in variant.problems:
                row.setdefault("graded_by_variant", {})[variant.name] = [
                    judged.get((row["question_id"], i), {}).get("verdict", o) == "accepted"
                    for i, o in enumerate(row["verdicts"])
                ]
    if variants:
        extra["variants"] = variants
    return extra


def _config_dict(cfg: EvalConfig) -> dict[str, Any]:
    d = config_to_dict(cfg)
    d["generation"] = {k: v for k, v in d["generation"].items() if v not in (None, {}, "")}
    return d
