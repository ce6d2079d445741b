"""``xcoder pipeline`` and ``xcoder ablations`` (see :mod:`pipeline.runner`, :mod:`pipeline.ablations`).

User errors (a missing or invalid config, an unknown stage, a stage whose input stages have not
finished) are one ``error:`` line and exit 2 (``xcoder.cli_errors``); a stage that fails (a training
recipe's non-zero exit) is exit 1 with the log to read, and the finished stages are kept.
"""

from __future__ import annotations

from pathlib import Path

import typer

CONFIG_HELP = "Pipeline YAML, e.g. recipes/tiny/pipeline.yaml."


def split_list(values: str | list[str] | None) -> list[str]:
    """``a,b`` (or a repeated option of such) as ``[a, b]``: the one spelling of a selection."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def parse_seeds(values: str) -> list[int]:
    """``--seeds 0,1,2`` as ``[0, 1, 2]``; a :class:`UserError` for anything else or for none."""
    from xcoder.cli_errors import UserError

    try:
        seeds = [int(s) for s in split_list(values)]
    except ValueError:
        raise UserError(f"--seeds: integers separated by commas, got {values!r}") from None
    if not seeds:
        raise UserError("--seeds: at least one seed")
    return seeds


def register(app: typer.Typer) -> None:
    @app.command("pipeline")
    def pipeline(
        config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP),
        output_dir: str | None = typer.Option(None, "--output-dir", help="Override output_dir."),
        stages: str | None = typer.Option(
            None,
            "--stages",
            help="Comma-separated stages to run, e.g. data,model,verify (default: all); "
            "the others are left as they are.",
        ),
        force: str | None = typer.Option(
            None, "--force", help="Comma-separated stages to rerun even if finished (and everything after them)."
        ),
        seed: int | None = typer.Option(None, "--seed", help="Override the task sampler's seed."),
    ) -> None:
        """Tiny model -> procedural tasks -> verify/export -> SFT -> GRPO -> held-out avg@n, with a report.

        Reruns resume: finished stages whose settings did not change are skipped."""
        from rich.console import Console

        from pipeline.config import STAGES, load_pipeline_config
        from pipeline.runner import check_stages, run_pipeline
        from xcoder.cancel import cancellable
        from xcoder.cli_errors import user_errors

        console = Console(stderr=True)
        overrides: dict = {}
        if output_dir:
            overrides["output_dir"] = output_dir
        if seed is not None:
            overrides["seed"] = seed
        with user_errors():
            chosen, forced = split_list(stages), split_list(force)
            check_stages(chosen, "stage in --stages")
            check_stages(forced, "stage in --force")
            cfg = load_pipeline_config(config, overrides)
            try:
                with cancellable("finished stages are kept; rerun the same command to resume"):
                    summary = run_pipeline(cfg, stages=tuple(chosen) or STAGES, force=tuple(forced), console=console)
            except (FileNotFoundError, RuntimeError) as exc:  # a failed stage: its log path is in the message
                console.print(
                    f"[red]pipeline stopped:[/red] {exc}\nFinished stages are kept; rerun the same command to resume.",
                    soft_wrap=True,
                )
                raise typer.Exit(1) from None
        n = cfg.eval.n
        for name in ("base", "sft", "rl"):
            if name in summary:
                console.print(f"{name:>4}: avg@{n} = {100 * summary[name][f'avg@{n}']:.1f}%")
        from pipeline.report import DIFFERENCES, comparison_from_dict, difference_line

        for key, comparison in summary.get("paired", {}).items():
            console.print(difference_line(DIFFERENCES[key][2], comparison_from_dict(comparison)), soft_wrap=True)

    @app.command("ablations")
    def ablations(
        config: Path = typer.Option(..., "--config", "-c", help="Ablation YAML, e.g. recipes/tiny/ablations.yaml."),
        experiments: str | None = typer.Option(
            None, "--experiments", help="Comma-separated experiments to run (default: all)."
        ),
        seeds: str | None = typer.Option(
            None, "--seeds", help="Comma-separated seeds instead of the config's (e.g. one process per seed)."
        ),
        report_only: bool = typer.Option(
            False, "--report-only", help="Rebuild the tables and plot from finished runs."
        ),
    ) -> None:
        """Pipeline variants side by side (unique tasks vs solutions per task, noisy labels, ...)."""
        from rich.console import Console

        from pipeline.ablations import load_ablation_config, run_ablations, write_results
        from xcoder.cli_errors import user_errors

        console = Console(stderr=True)
        with user_errors():
            cfg = load_ablation_config(config)
            if seeds is not None:
                cfg.seeds = parse_seeds(seeds)
            if report_only:
                write_results(cfg)
            else:
                run_ablations(cfg, tuple(split_list(experiments)), console)
        console.print(f"results: {Path(cfg.output_dir) / 'ablations.md'}")
