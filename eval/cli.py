"""``xcoder eval ...`` (run a LiveCodeBench evaluation) and ``xcoder eval compare RUN_DIR...``.

Options are derived from :class:`eval.runner.EvalConfig` (help written once, on its fields), and
``--config run.yaml`` takes the same settings as YAML, with flags given on the command line on top.
Heavy imports (torch, transformers, vllm) happen inside the backends, so ``xcoder --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from eval.runner import EvalConfig
from xcoder.cli_errors import fail, warn
from xcoder.cli_options import config_options

eval_app = typer.Typer(
    name="eval",
    help="Evaluate a model on LiveCodeBench (avg@n, pass@k, paper-style tables and plots).",
    no_args_is_help=True,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Flags are derived from EvalConfig (xcoder.cli_options); these keep the documented spellings.
EVAL_FLAGS = dict(
    prefixes={"dataset": "", "generation": "", "sampling": ""},  # judge fields keep "--judge-"
    names={
        "dataset.platforms": "--platform",
        "dataset.difficulties": "--difficulty",
        "dataset.question_ids": "--question-id",
        "generation.samples_path": "--samples",
        "judge.timeout": "--timeout",
        "judge.memory_mb": "--memory-mb",
        "judge.sandbox": "--sandbox",
        "judge.semantics": ("--judge-semantics", "--semantics"),  # where JudgeConfig has the field
    },
    skip=("progress",),
    panels={
        "dataset": "Dataset",
        "generation": "Generation",
        "sampling": "Sampling",
        "judge": "Judging",
        "": "Output",
    },
)


@eval_app.callback()
@config_options(EvalConfig, config_file=True, **EVAL_FLAGS)
def run(
    config: EvalConfig | None,
    no_system_prompt: bool = typer.Option(
        False, "--no-system-prompt", help="Send no system message.", rich_help_panel="Generation"
    ),
) -> None:
    """Run (or resume) a LiveCodeBench evaluation.

    Example: xcoder eval --model runs/sft --backend transformers --dataset lcb/ --preset v5 --n 8 \
      --output-dir runs/eval-v5

    Or: xcoder eval --config run.yaml --n 4 (YAML in EvalConfig's sections; typed flags override it)
    """
    if config is None:  # `xcoder eval compare ...`
        return
    if no_system_prompt:
        config.generation.system_prompt = None

    from eval.dataset import DatasetError
    from eval.generate import GenerationError
    from eval.report import paper_table, summary_row
    from eval.runner import RunStateError, run_eval
    from xcoder.cancel import cancellable

    try:
        with cancellable("rerun the same command to resume (cached generations and verdicts are reused)"):
            if config.seeds:
                from eval.seeds import run_seeds, seeds_markdown

                agg = run_seeds(config)
                sys.stdout.write(seeds_markdown(agg))
                sys.stderr.write(f"results in {config.output_dir}/ (seeds.json, seeds.md, seed_<s>/ per seed)\n")
                return
            results = run_eval(config)
    except (DatasetError, GenerationError, RunStateError, ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    sys.stdout.write(paper_table([summary_row(results)]))
    for warning in results["warnings"]:
        warn(warning)
    sys.stderr.write(f"results in {config.output_dir}/ (eval_results.json, report.md, samples.jsonl)\n")


@eval_app.command("compare")
def compare(
    run_dirs: list[Path] = typer.Argument(..., help="Output directories of finished eval runs."),
    output_dir: Path = typer.Option(Path("eval_compare"), "--output-dir", help="Where compare.md/.csv/.png go."),
    names: list[str] = typer.Option([], "--name", help="Label per run, in order (default: each run's model name)."),
) -> None:
    """Side-by-side table and grouped bar plot of several runs."""
    from eval.report import compare_runs

    try:
        text = compare_runs(run_dirs, output_dir, names or None)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    sys.stdout.write(text)
    sys.stderr.write(f"wrote {output_dir}/compare.md, compare.csv, compare.png\n")


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
