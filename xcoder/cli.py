"""The ``xcoder`` command: the one front door. Subcommands import their packages lazily so
that ``xcoder --help`` stays fast and the core never depends on data_gen/rewards/eval/pipeline."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="xcoder",
    help="Train competitive-programming code models on synthetic data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module defines ``register(app)``; keep this list sorted.
COMMAND_MODULES = [
    "data_gen.cli",
    "eval.cli",
    "eval.rl_cli",
    "pipeline.cli",
    "xcoder.judge.cli",
    "xcoder.tiny_model_cli",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    try:
        app()
    except OSError as exc:  # a full disk, a read-only or misplaced path: the environment, not a bug
        from xcoder.cli_errors import fail

        where = f": {exc.filename}" if exc.filename else ""
        raise SystemExit(fail(f"{exc.strerror or exc}{where}", code=1).exit_code) from None


if __name__ == "__main__":
    main()
