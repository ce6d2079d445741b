"""Did GRPO make the policy better at its own training tasks? Its start (the SFT model) and its end (the
RL model) sampled on the same RL rows, paired per row.

The per-step GRPO reward cannot answer this in a short run: a step sees a few prompts, each once, so the
curve mostly measures which prompts came up. Here the rows GRPO trained on (all, or a seeded subset)
(``dataset_name`` of the run's ``configs/grpo.yaml``; the clean rows when ``grpo.label_noise`` corrupted
them) are sampled ``k`` times each by each model at GRPO's own sampling settings (its ``temperature``,
1.0 when unset as in TRL, top_p 1.0, ``max_completion_length`` new tokens) and judged on the row's tests
(:func:`pipeline.stages.select.sample_pass_rates`, i.e. :mod:`eval.pass_rate`). The two per-row pass
rates form a :class:`eval.paired.PairedRun`.

Files, in ``<run>/train_probe/``: ``rows.jsonl`` (the subset), ``sft.*`` and ``rl.*`` (eval.pass_rate's
files: ``<model>.pass_rates.jsonl`` holds every row's ``passed``, ``k`` and ``pass_rate``; its generation
cache lets an interrupted probe continue) and ``probe.json`` (the settings; a rerun with the same
settings and the same finished GRPO run reuses everything, anything else starts over).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from xcoder.config import read_yaml
from xcoder.io import atomic_write_json, atomic_write_jsonl, iter_jsonl

if TYPE_CHECKING:
    from eval.paired import PairedRun
    from pipeline.config import PipelineConfig

PROBE_DIR = "train_probe"
DEFAULT_ROWS: int | None = None  # every row GRPO trained on: the reward curve is adjusted by each task's SFT rate
DEFAULT_K = 8
MODELS = ("sft", "rl")  # GRPO's start and end


def _rebase(path: str, old_run: Path, run: Path) -> Path:
    """A path the GRPO stage wrote under the run's original directory, under ``run`` (a copied run)."""
    p = Path(path)
    try:
        return run / p.relative_to(old_run)
    except ValueError:
        return p


def probe_plan(run: Path) -> dict[str, Any] | None:
    """What the probe samples for a finished GRPO run: the rows file, the two models and GRPO's sampling
    settings, all from the trainer's own config (``configs/grpo.yaml``); None when GRPO has not finished."""
    state_path, config_path = run / "pipeline_state.json", run / "configs" / "grpo.yaml"
    if not state_path.is_file() or not config_path.is_file():
        return None
    stages = json.loads(state_path.read_text(encoding="utf-8")).get("stages", {})
    grpo = stages.get("grpo", {})
    if not grpo.get("finished"):
        return None
    args = read_yaml(config_path)
    old_run = Path(args["output_dir"]).parent  # the GRPO stage writes to <run>/rl
    rows = _rebase(args["dataset_name"], old_run, run)
    select = stages.get("select", {}).get("info", {})
    if rows.name == "rl_noisy.jsonl":  # grpo.label_noise without select: judge on the tests as they really are
        rows = run / stages["verify"]["info"]["rl_file"]
    elif "clean_rl_file" in select and rows == run / select["rl_file"]:  # ... with select: the kept rows, clean
        rows = run / select["clean_rl_file"]
    models = {"sft": _rebase(args["model_name_or_path"], old_run, run), "rl": run / "rl"}
    if not all((m / "config.json").is_file() for m in models.values()) or not rows.is_file():
        return None
    temperature = args.get("temperature")
    return {
        "rows_file": rows,
        "models": models,
        "temperature": 1.0 if temperature is None else float(temperature),
        "max_tokens": int(args["max_completion_length"]),
        "grpo_run": [grpo.get("fingerprint"), grpo.get("finished_at")],  # a retrained RL model starts over
    }


def subset(rows_file: Path, n: int | None, seed: int) -> list[dict[str, Any]]:
    """``n`` rows drawn without replacement (seeded), in the file's order; every row when it has fewer or
    ``n`` is None."""
    rows = [row for _, row, error in iter_jsonl(rows_file) if error is None and isinstance(row, dict)]
    if n is None or n >= len(rows):
        return rows
    keep = set(random.Random(seed).sample(range(len(rows)), n))
    return [row for i, row in enumerate(rows) if i in keep]


def run_train_probe(
    run: Path,
    cfg: PipelineConfig,
    *,
    rows: int | None = DEFAULT_ROWS,
    k: int = DEFAULT_K,
    console: Console | None = None,
) -> dict[str, Any] | None:
    """Sample and judge both models on ``rows`` rows (None: all of them), or reuse a finished probe with the
    same settings; the settings written to ``probe.json``, or None when the run has no finished GRPO stage."""
    from eval.generate import SamplingConfig
    from pipeline.stages.select import sample_pass_rates

    console = console or Console(stderr=True)
    plan = probe_plan(run)
    if plan is None:
        console.print(f"train probe: {run} has no finished GRPO run (SFT and RL models); skipped")
        return None
    out = run / PROBE_DIR
    settings = {
        "rows_file": str(
            plan["rows_file"].relative_to(run) if plan["rows_file"].is_relative_to(run) else plan["rows_file"]
        ),
        "rows_requested": rows,
        "k": k,
        "temperature": plan["temperature"],
        "top_p": 1.0,
        "max_tokens": plan["max_tokens"],
        "subset_seed": cfg.seed,
        "grpo_run": plan["grpo_run"],
    }
    meta_path = out / "probe.json"
    old = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else None
    if old and old.get("settings") == settings:
        if old.get("finished"):
            console.print(f"train probe: reusing {out}")
            return settings
    else:
        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    chosen = subset(plan["rows_file"], rows, cfg.seed)
    atomic_write_jsonl(out / "rows.jsonl", chosen)
    atomic_write_json(meta_path, {"settings": settings, "finished": False})
    sampling = SamplingConfig(n=k, temperature=plan["temperature"], top_p=1.0, max_tokens=plan["max_tokens"], seed=0)
    for name in MODELS:
        if (out / f"{name}.pass_rates.jsonl").is_file():  # finished before an interruption
            continue
        console.rule(f"[bold]train probe · {name} model on {len(chosen)} GRPO rows x {k}")
        summary = sample_pass_rates(
            cfg, data=out / "rows.jsonl", out=out / f"{name}.jsonl", model=str(plan["models"][name]), sampling=sampling
        )
        console.print(
            f"train probe: {name} mean pass rate {summary['mean_pass_rate']:.3f} over {summary['rows']} rows"
        )
    atomic_write_json(meta_path, {"settings": settings, "finished": True, "rows": len(chosen)})
    return settings


def row_rates(path: Path) -> dict[str, float]:
    """``{question_id: pass_rate}`` from a ``<stem>.pass_rates.jsonl`` (rows without usable tests left out)."""
    return {
        str(row["question_id"]): float(row["pass_rate"])
        for _, row, error in iter_jsonl(path)
        if error is None and isinstance(row, dict) and row.get("pass_rate") is not None
    }


def probe_pair(run: Path) -> tuple[PairedRun, dict[str, Any]] | None:
    """The finished probe of a run as a paired run (A: SFT, B: RL, per row) with its settings; None
    when it is missing or unfinished. Only reads files."""
    from eval.paired import PairedRun

    out = run / PROBE_DIR
    meta_path = out / "probe.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    paths = [out / f"{name}.pass_rates.jsonl" for name in MODELS]
    if not meta.get("finished") or not all(p.is_file() for p in paths):
        return None
    sft, rl = (row_rates(p) for p in paths)
    if not sft:
        return None
    return PairedRun(sft, rl), meta["settings"]


__all__ = [
    "DEFAULT_K",
    "DEFAULT_ROWS",
    "PROBE_DIR",
    "probe_pair",
    "probe_plan",
    "row_rates",
    "run_train_probe",
    "subset",
]
