"""Stage ``select`` (optional, off by default): the exported RL rows sampled k times with the SFT model
(transformers backend) and judged; the rows whose pass rate is in the band go to GRPO
(``eval.pass_rate``, the library behind ``xcoder rl select``). With ``grpo.label_noise`` the rows are
corrupted first, so the band is drawn on the wrong labels as it would be on real ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from pipeline.config import PipelineConfig, model_paths
from pipeline.state import State
from xcoder.io import atomic_write_jsonl

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
    data = cfg.out / state.get("verify")["info"]["rl_file"]
    noise: dict[str, Any] = {}
    if cfg.grpo.label_noise > 0:  # wrong labels are in the data itself: judged here as GRPO will see them
        data, noise = _noisy_input(cfg, data, out)
    summary = sample_pass_rates(
        cfg,
        data=data,
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
    if noise:
        noise = _kept_noise(cfg, out, noise)
        console.print(
            f"select: kept {noise['noisy_rows_kept']} of the {noise['noisy_rows']} RL rows with a corrupted test "
            f"output ({noise['corrupted_test_labels_kept']} of the {noise['corrupted_test_labels']} corrupted outputs)"
        )
    return {
        "rl_file": str((out / SELECTED).relative_to(cfg.out)),
        "rows": summary["rows"],
        "k": summary["k"],
        "counts": counts,
        "mean_pass_rate": summary["mean_pass_rate"],
        "histogram": [h["tasks"] for h in summary["histogram"]],
        **noise,
    }


NOISY, CLEAN = "rl_noisy.jsonl", "rl_selected.clean.jsonl"


def _noisy_input(cfg: PipelineConfig, rl_file: Path, out: Path) -> tuple[Path, dict[str, Any]]:
    """``grpo.label_noise`` applied to every exported RL row (``out/rl_noisy.jsonl``, the stage's input);
    each row's number of corrupted outputs and the clean rows, by id."""
    from pipeline.variants import corrupt_row

    rows = [json.loads(line) for line in rl_file.read_text(encoding="utf-8").splitlines()]
    noisy = [corrupt_row(row, cfg.grpo.label_noise, cfg.seed) for row in rows]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_jsonl(out / NOISY, [row for row, _ in noisy])
    wrong = {row["id"]: n for row, (_, n) in zip(rows, noisy, strict=True)}
    return out / NOISY, {"wrong": wrong, "clean": {row["id"]: row for row in rows}}


def _kept_noise(cfg: PipelineConfig, out: Path, noise: dict[str, Any]) -> dict[str, Any]:
    """How many noisy rows the band kept, and the kept rows with their clean tests
    (``out/rl_selected.clean.jsonl``: what the training-task probe judges on)."""
    kept = [json.loads(line) for line in (out / SELECTED).read_text(encoding="utf-8").splitlines()]
    wrong = noise["wrong"]
    atomic_write_jsonl(out / CLEAN, [{**noise["clean"][row["id"]], "pass_rate": row["pass_rate"]} for row in kept])
    return {
        "corrupted_test_labels": sum(wrong.values()),
        "noisy_rows": sum(n > 0 for n in wrong.values()),
        "noisy_rows_kept": sum(wrong[row["id"]] > 0 for row in kept),
        "corrupted_test_labels_kept": sum(wrong[row["id"]] for row in kept),
        "clean_rl_file": str((out / CLEAN).relative_to(cfg.out)),
    }
