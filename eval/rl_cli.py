"""``xcoder rl select``: keep the RL rows whose pass rate under the policy lies in a band
(:mod:`eval.pass_rate`). Options are derived from :class:`eval.pass_rate.SelectConfig`; ``--config``
takes the same settings as YAML, with flags typed on the command line on top."""

from __future__ import annotations

import sys

import typer

from eval.pass_rate import SelectConfig
from xcoder.cli_errors import fail
from xcoder.cli_options import config_options

rl_app = typer.Typer(
    name="rl",
    help="Prepare RL data (select tasks by the policy's pass rate).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SELECT_FLAGS = dict(
    prefixes={"generation": "", "sampling": ""},  # judge fields keep "--judge-"
    names={"sampling.n": "--k", "generation.samples_path": "--samples", "judge.timeout": "--timeout"},
    skip=("generation.system_prompt",),  # each row brings its own prompt
    panels={"generation": "Generation", "sampling": "Sampling", "judge": "Judging", "": "Selection"},
)


@rl_app.command("select")
@config_options(SelectConfig, config_file=True, **SELECT_FLAGS)
def select(config: SelectConfig) -> None:
    """Sample k completions per RL task with the policy, judge them, keep the tasks whose pass rate
    is in --band (default strictly between 0 and 1), and report the distribution.

    Example: xcoder rl select --data rl.jsonl --model runs/sft --backend vllm --k 8 --band 0,1 --out rl_selected.jsonl
    """
    from eval.generate import GenerationError
    from eval.pass_rate import select_by_pass_rate
    from xcoder.cancel import cancellable

    if config.generation.backend == "samples" and not config.generation.samples_path:
        raise fail("--samples FILE is required with --backend samples")
    try:
        with cancellable("rerun the same command to resume (cached samples are reused)"):
            summary = select_by_pass_rate(config)
    except (GenerationError, ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    paths = config.paths()
    counts = summary["counts"]
    sys.stdout.write(paths["report"].read_text(encoding="utf-8"))
    sys.stderr.write(
        f"kept {counts['kept']} of {summary['rows']} rows in {paths['out']} (report: "
        f"{paths['report']}, {paths['plot'].name}; per-row: {paths['rates'].name})\n"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(rl_app, name="rl")
