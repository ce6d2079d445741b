"""Stage ``eval``: ``eval.runner.run_eval`` (transformers backend) on the held-out split for the base,
SFT and RL models: avg@n with LiveCodeBench's protocol. Its own caches make a killed eval resumable."""

from __future__ import annotations

import shutil
from typing import Any

from rich.console import Console

from pipeline.config import MODELS, PipelineConfig, model_paths
from pipeline.state import State


def stage_eval(cfg: PipelineConfig, state: State, console: Console, fresh: bool = True) -> dict[str, Any]:
    import torch

    if fresh:  # a retrained model keeps its path: cached generations of the old one must go
        shutil.rmtree(cfg.out / "eval", ignore_errors=True)

    threads = torch.get_num_threads()
    if cfg.eval.threads:
        torch.set_num_threads(cfg.eval.threads)
    try:
        paths = model_paths(cfg)
        return {name: eval_one(cfg, name, paths[name], console) for name in MODELS if name in cfg.eval.models}
    finally:
        torch.set_num_threads(threads)


def eval_one(cfg: PipelineConfig, name: str, path: str, console: Console) -> dict[str, Any]:
    """``eval.runner.run_eval`` on the held-out split for one model."""
    from eval.dataset import DatasetConfig
    from eval.generate import GenerationConfig, SamplingConfig
    from eval.runner import EvalConfig, run_eval

    e = cfg.eval
    console.rule(f"[bold]eval: {name} model ({path})")
    res = run_eval(
        EvalConfig(
            dataset=DatasetConfig(str(cfg.out / "data" / "holdout.jsonl")),
            output_dir=str(cfg.out / "eval" / name),
            generation=GenerationConfig(
                backend="transformers",
                model=path,
                system_prompt=cfg.data.system_prompt,
                batch_size=e.batch_size,
                device="cpu",
            ),
            sampling=SamplingConfig(
                n=e.n, temperature=e.temperature, top_p=e.top_p, max_tokens=e.max_tokens, seed=e.seed
            ),
            judge=cfg.judge,  # the pipeline's one JudgeConfig
            name=name,
            overwrite=True,
        )
    )
    overall = res["overall"]
    result = {k: overall[k] for k in overall if k.startswith(("avg@", "pass@", "num_"))}
    result["verdicts"] = res["verdicts"]
    result["by_difficulty"] = {d: v.get(f"avg@{e.n}") for d, v in res["by_difficulty"].items()}
    result["by_platform"] = {d: v.get(f"avg@{e.n}") for d, v in res["by_platform"].items()}
    console.print(f"{name}: avg@{e.n} = {overall[f'avg@{e.n}']:.3f}")
    return result
