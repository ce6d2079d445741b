"""``xcoder pipeline``: the whole offline pipeline (see :mod:`data_gen.pipeline`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("pipeline")
    def pipeline(
        config: Path = typer.Option(..., "--config", help="Pipeline YAML, e.g. recipes/tiny/pipeline.yaml."),
        output_dir: Optional[str] = typer.Option(None, "--output-dir", help="Override output_dir."),
        only: list[str] = typer.Option([], "--only", help="Run only these stages (repeatable); others are left as they are."),
        force: list[str] = typer.Option([], "--force", help="Rerun these stages even if finished (repeatable)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Override the task sampler's seed."),
    ) -> None:
        """Tiny model -> procedural tasks -> verify/export -> SFT -> GRPO -> held-out avg@n, with a report.

        Reruns resume: finished stages whose settings did not change are skipped."""
        from rich.console import Console

        from data_gen.config import ConfigError
        from data_gen.pipeline import STAGES, load_pipeline_config, run_pipeline

        console = Console(stderr=True)
        bad = sorted((set(only) | set(force)) - set(STAGES))
        if bad:
            console.print(f"[red]error:[/red] unknown stage(s) {bad}; stages: {', '.join(STAGES)}", soft_wrap=True)
            raise typer.Exit(2)
        overrides = {}
        if output_dir:
            overrides["output_dir"] = output_dir
        if seed is not None:
            overrides["seed"] = seed
        try:
            cfg = load_pipeline_config(config, overrides)
        except (ConfigError, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        try:
            summary = run_pipeline(cfg, stages=tuple(only) or STAGES, force=tuple(force), console=console)
        except (ConfigError, FileNotFoundError, RuntimeError) as exc:  # a failed stage: its log path is in the message
            console.print(f"[red]pipeline stopped:[/red] {exc}\nFinished stages are kept; rerun the same command to resume.",
                          soft_wrap=True)
            raise typer.Exit(1) from None
        n = cfg.eval.n
        for name in ("base", "sft", "rl"):
            if name in summary:
                console.print(f"{name:>4}: avg@{n} = {100 * summary[name][f'avg@{n}']:.1f}%")

    @app.command("ablations")
    def ablations(
        config: Path = typer.Option(..., "--config", help="Ablation YAML, e.g. recipes/tiny/ablations.yaml."),
        experiment: list[str] = typer.Option([], "--experiment", help="Run only these experiments (repeatable)."),
        report_only: bool = typer.Option(False, "--report-only", help="Rebuild the tables and plot from finished runs."),
    ) -> None:
        """Pipeline variants side by side (unique tasks vs solutions per task, noisy labels, ...)."""
        from rich.console import Console

        from data_gen.ablations import load_ablation_config, run_ablations, write_results
        from data_gen.config import ConfigError

        console = Console(stderr=True)
        try:
            cfg = load_ablation_config(config)
            if report_only:
                write_results(cfg)
            else:
                run_ablations(cfg, tuple(experiment), console)
        except (ConfigError, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        console.print(f"results: {Path(cfg.output_dir) / 'ablations.md'}")
