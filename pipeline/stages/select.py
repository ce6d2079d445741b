"""Stage ``select`` (optional, off by default): the exported RL rows sampled k times with the SFT model
(transformers backend) and judged; the rows whose pass rate is in the band go to GRPO
(``eval.pass_rate``, the library behind ``xcoder rl select``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from pipeline.config import PipelineConfig, model_paths
from pipeline.state import State

if TYPE_CHECKING:
    from eval.generate import SamplingConfig

SELECTED = "rl_selected.jsonl"


def sample_pass_rates(
    cfg: PipelineConfig,
    *,
    data: Path,
    out: Path,
    model: str,
    sampling: SamplingConfig,
    band: str = "0,1",
    inclusive: bool = True,
) -> dict[str, Any]:
    """:func:`eval.pass_rate.select_by_pass_rate` as the pipeline runs it: ``model`` sampled through the
    transformers backend on the CPU (``select.batch_size``, ``select.threads``), judged by the run's judge."""
    import torch

    from eval.generate import GenerationConfig
    from eval.pass_rate import SelectConfig, select_by_pass_rate

    select_cfg = SelectConfig(
        data=str(data),
        out=str(out),
        generation=GenerationConfig(
            backend="transformers", model=model, device="cpu", batch_size=cfg.select.batch_size
        ),
        sampling=sampling,
        judge=cfg.judge,
        band=band,
        inclusive=inclusive,
    )
    threads = torch.get_num_threads()
    if cfg.select.threads:
        torch.set_num_threads(cfg.select.threads)
    try:
        return select_by_pass_rate(select_cfg)
    finally:
        torch.set_num_threads(threads)


def stage_select(cfg: PipelineConfig, state: State, console: Console, fresh: bool = True) -> dict[str, Any]:
    from eval.generate import SamplingConfig

    out = cfg.out / "select"
    if fresh:  # a retrained SFT model keeps its path: cached samples of the old one must go
        shutil.rmtree(out, ignore_errors=True)
    s = cfg.select
    summary = sample_pass_rates(
        cfg,
        data=cfg.out / state.get("verify")["info"]["rl_file"],
        out=out / SELECTED,
        model=model_paths(cfg)["sft"],
        sampling=SamplingConfig(n=s.k, temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens, seed=s.seed),
        band=s.band,
        inclusive=s.inclusive,
    )
    counts = summary["counts"]
    console.print(
        f"select: kept {counts['kept']} of {summary['rows']} RL rows (pass rate in the band {s.band}, "
        f"{'inclusive' if s.inclusive else 'exclusive'}); report: {out / 'rl_selected.report.md'}"
    )
    if counts["kept"] == 0:
        raise RuntimeError(
            f"select: no RL row has a pass rate in the band {s.band} "
            f"({'inclusive' if s.inclusive else 'exclusive'}); see {out / 'rl_selected.report.md'} "
            "and widen select.band, set select.inclusive, or turn select off"
        )
    return {
        "rl_file": str((out / SELECTED).relative_to(cfg.out)),
        "rows": summary["rows"],
        "k": summary["k"],
        "counts": counts,
        "mean_pass_rate": summary["mean_pass_rate"],
        "histogram": [h["tasks"] for h in summary["histogram"]],
    }
