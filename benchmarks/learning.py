"""The learning benchmark: does SFT, then GRPO, beat the model before it on held-out problems, beyond noise?

    python benchmarks/learning.py [--seeds 0,1,2] [--config recipes/tiny/pipeline.yaml]
                                  [--overrides recipes/tiny/learning.yaml] [--output-dir runs/learning]
                                  [--train-probe all] [--train-probe-k 8] [--report-only | --probe-only]

One pipeline run per seed (the base config with the overrides deep-merged in) in ``OUTPUT/seed_<s>``;
a rerun resumes finished stages, so an interrupted benchmark continues where it stopped. Then SFT − base
and RL − SFT as paired bootstrap comparisons over the held-out problems, per seed and pooled (stratified
by seed); whether GRPO got better at its own training tasks (the training-task probe: after each seed's
run, the SFT model, GRPO's start, and the RL model, its end, each sample the RL rows GRPO trained on (all
of them, or ``--train-probe N`` seeded ones) ``--train-probe-k`` times at GRPO's temperature and token
limit; judged and paired per row, per seed and pooled; cached in ``seed_<s>/train_probe/``;
``--probe-only`` adds it to finished runs); the GRPO per-step training reward per seed (with a few prompts
per step it mostly shows which prompts came up) and, from GRPO's ``group_log``, the in-run pass rate above
the SFT model's on the tasks each step drew; the spread between seeds; RL − SFT per held-out task family;
a table (console and ``learning.md``), ``learning.json``, ``learning.png``, ``learning_families.png``, and
a one-line verdict against the targets (RL − SFT ≥ +3 points with the pooled 95%
interval above 0; training reward rising on every seed, decided by the probe where there is one). About
1.5 hours on 2 CPU cores with the defaults; BENCHMARKS.md records ours. The logic is
:mod:`pipeline.learning` and :mod:`pipeline.train_probe`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import typer  # noqa: E402
from rich.console import Console  # noqa: E402

from pipeline.cli import parse_seeds, split_list  # noqa: E402
from pipeline.config import STAGES  # noqa: E402
from pipeline.learning import (  # noqa: E402
    DEFAULT_CONFIG,
    DEFAULT_OUTPUT,
    DEFAULT_OVERRIDES,
    TARGET_POINTS,
    probe_runs,
    run_learning,
    write_results,
)
from pipeline.runner import check_stages  # noqa: E402
from pipeline.train_probe import DEFAULT_K, DEFAULT_ROWS  # noqa: E402
from xcoder.cancel import cancellable  # noqa: E402
from xcoder.cli_errors import UserError, user_errors  # noqa: E402


def probe_rows(text: str) -> int | None:
    """``--train-probe``: a row count (0: no probe) or ``all``."""
    if text.strip().lower() == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a row count >= 0 or 'all', got {text!r}")
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0,1,2", help="Comma-separated task-sampler seeds (default 0,1,2).")
    ap.add_argument("--config", default=DEFAULT_CONFIG, help=f"Base pipeline config (default {DEFAULT_CONFIG}).")
    ap.add_argument(
        "--overrides",
        default=DEFAULT_OVERRIDES,
        help=f"YAML deep-merged into the base config for every seed (default {DEFAULT_OVERRIDES}; '' for none).",
    )
    ap.add_argument("--output-dir", default=DEFAULT_OUTPUT, help=f"Where the runs go (default {DEFAULT_OUTPUT}).")
    ap.add_argument("--stages", default=None, help="Comma-separated pipeline stages to run (default: all).")
    ap.add_argument(
        "--target-points", type=float, default=TARGET_POINTS, help="RL − SFT target in points (default 3)."
    )
    ap.add_argument(
        "--train-probe",
        type=probe_rows,
        default=DEFAULT_ROWS,
        metavar="N|all",
        help="RL rows per seed on which GRPO's start and end are compared (default all; 0: no probe).",
    )
    ap.add_argument(
        "--train-probe-k",
        type=int,
        default=DEFAULT_K,
        metavar="K",
        help=f"Samples per row and model in the training-task probe (default {DEFAULT_K}).",
    )
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument(
        "--report-only", action="store_true", help="Only pool the finished runs (no training, no sampling)."
    )
    mode.add_argument(
        "--probe-only",
        action="store_true",
        help="Run the training-task probe on the seeds' finished runs (no training), then pool them.",
    )
    args = ap.parse_args(argv)
    console = Console(stderr=True)
    try:
        with user_errors():
            seeds = parse_seeds(args.seeds)
            stages = split_list(args.stages)
            check_stages(stages, "stage in --stages")
            if args.train_probe_k < 1:
                raise UserError("--train-probe-k must be >= 1")
            if args.probe_only and args.train_probe == 0:
                raise UserError("--probe-only needs --train-probe N > 0 or all")
            if args.report_only:
                write_results(args.output_dir, seeds, console=console, target_points=args.target_points)
                return 0
            if args.probe_only:
                with cancellable("cached probe samples are kept; rerun the same command to resume"):
                    probe_runs(
                        args.output_dir,
                        seeds,
                        rows=args.train_probe,
                        k=args.train_probe_k,
                        console=console,
                        target_points=args.target_points,
                    )
                return 0
            with cancellable("finished stages are kept; rerun the same command to resume"):
                run_learning(
                    config=args.config,
                    overrides=args.overrides or None,
                    seeds=seeds,
                    output_dir=args.output_dir,
                    stages=tuple(stages) or STAGES,
                    console=console,
                    target_points=args.target_points,
                    probe_rows=args.train_probe,
                    probe_k=args.train_probe_k,
                )
    except typer.Exit as stop:  # a user error (2) or a stop request (130/143), already reported
        return stop.exit_code
    except (FileNotFoundError, RuntimeError) as exc:  # a failed stage: its log path is in the message
        console.print(
            f"[red]benchmark stopped:[/red] {exc}\nFinished stages are kept; rerun to resume.", soft_wrap=True
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
