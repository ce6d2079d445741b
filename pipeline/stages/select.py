"""Stage ``select`` (optional, off by default): the exported RL rows sampled k times with the SFT model
(transformers backend) and judged; the rows whose pass rate is in the band go to GRPO
(``eval.pass_rate``, the library behind ``xcoder rl select``)."""

from __future__ import annotations

import shutil
from typing import Any

from rich.console import Console

from pipeline.config import PipelineConfig, model_paths
from pipeline.state import State

SELECTED = "rl_selected.jsonl"


def stage_select(cfg: PipelineConfig, state: State, console: Console, fresh: bool = True) -> dict[str, Any]:
    import torch

    from eval.generate import GenerationConfig, SamplingConfig
    from eval.pass_rate import SelectConfig, select_by_pass_rate

    out = cfg.out / "select"
    if fresh:  # a retrained SFT model keeps its path: cached samples of the old one must go
        shutil.rmtree(out, ignore_errors=True)
    s = cfg.select
    select_cfg = SelectConfig(
        data=str(cfg.out / state.get("verify")["info"]["rl_file"]),
        out=str(out / SELECTED),
        generation=GenerationConfig(
            backend="transformers", model=model_paths(cfg)["sft"], device="cpu", batch_size=s.batch_size
        ),
        sampling=SamplingConfig(n=s.k, temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens, seed=s.seed),
        judge=cfg.judge,
        band=s.band,
        inclusive=s.inclusive,
    )
    threads = torch.get_num_threads()
    if s.threads:
        torch.set_num_threads(s.threads)
    try:
        summary = select_by_pass_rate(select_cfg)
    finally:
        torch.set_num_threads(threads)
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
