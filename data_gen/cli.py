"""``xcoder gen ...``: run the SynthSmith pipeline, one stage, or show where a run stands; write
training rows from the procedural task families.

    xcoder gen run --config recipes/data_gen/synthsmith.yaml            # all nine stages, resuming
    xcoder gen run --config ... --shard 3/8                             # this machine's eighth
    xcoder gen run --config ... --stages tasks,solutions                # a subset, in pipeline order
    xcoder gen tasks --config ... [--force]                             # one stage
    xcoder gen status --config ...                                      # per-stage table
    xcoder gen run -c recipes/data_gen/kodcode.yaml                     # KodCode mode (mode: kodcode)
    xcoder gen procedural --families sum_mod,gcd_all --rows sft --out DIR   # verified rows, no model
    xcoder gen decontaminate --data rows.jsonl --against lcb.jsonl HumanEval.jsonl.gz --out report.jsonl

User errors (a bad path, key, flag or stage name) are one line on stderr and exit code 2
(``xcoder.cli_errors``).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import typer

from data_gen.config import ALL_STAGES, STAGES
from xcoder.cli_errors import UserError, fail, user_errors

gen_app = typer.Typer(
    name="gen",
    help="Generate synthetic training data (SynthSmith: features -> ... -> SFT and RL datasets).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

CONFIG_HELP = "Run config YAML (see recipes/data_gen/synthsmith.yaml)."
SHARD_HELP = "Process only shard i of n (e.g. 3/8); global stages (tree, export) run on shard 0."
OUTPUT_HELP = "Override output_dir of the config."
NO_PROGRESS_HELP = "No progress bars (logs and CI)."
STAGES_HELP = "Comma-separated subset, e.g. tasks,solutions (default: all stages of the config's mode)."


def _load(config: Path, output_dir: str | None):
    from data_gen.config import load_config

    return load_config(config, {"output_dir": output_dir} if output_dir else None)


def parse_stages(text: str | None, names: tuple[str, ...] = STAGES) -> list[str]:
    """``--stages a,b`` as stage names in pipeline order (all of ``names`` when empty); unknown names
    are a user error."""
    if not text:
        return list(names)
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in names]
    if unknown:
        raise UserError(f"--stages: unknown stage(s) {unknown}; stages: {', '.join(names)}")
    return [s for s in names if s in chosen]


def _run(
    config_path: Path,
    stages: list[str],
    shard: str | None,
    output_dir: str | None,
    force: bool,
    no_progress: bool,
) -> None:
    from rich.console import Console

    from data_gen.runner import EndpointError, StageNotReady, run_stage, run_stages
    from data_gen.storage import parse_shard
    from xcoder.cancel import cancellable

    with user_errors():
        config = _load(config_path, output_dir)
        try:
            shard_tuple = parse_shard(shard)
        except ValueError as err:
            raise UserError(str(err)) from None
        out = Path(config.output_dir)
        if out.exists() and not out.is_dir():
            raise UserError(f"output_dir {out} is a file, not a directory")
    try:
        with cancellable("rerun the same command to resume (committed items and LLM answers are kept)"):
            if force:
                for name in stages:
                    summary = run_stage(config, name, shard_tuple, force=True, progress=not no_progress, strict=True)
                    Console().print(summary.table())
            else:
                run_stages(config, stages, shard_tuple, progress=not no_progress)
    except (StageNotReady, EndpointError, FileNotFoundError) as err:
        raise fail(str(err), code=1) from None


@gen_app.command("run")
def run_all(
    config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP),
    shard: str | None = typer.Option(None, "--shard", help=SHARD_HELP),
    stages: str | None = typer.Option(None, "--stages", help=STAGES_HELP),
    output_dir: str | None = typer.Option(None, "--output-dir", help=OUTPUT_HELP),
    no_progress: bool = typer.Option(False, "--no-progress", help=NO_PROGRESS_HELP),
) -> None:
    """Run every stage of the config's mode in order; each resumes where a previous run stopped."""
    with user_errors():
        try:
            mode_stages = _load(config, output_dir).stages
        except Exception:  # noqa: BLE001 - a bad config is reported by _run with its own message
            mode_stages = STAGES
        chosen = parse_stages(stages, mode_stages)
    _run(config, chosen, shard, output_dir, False, no_progress)


def _stage_command(name: str):
    def command(
        config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP),
        shard: str | None = typer.Option(None, "--shard", help=SHARD_HELP),
        output_dir: str | None = typer.Option(None, "--output-dir", help=OUTPUT_HELP),
        force: bool = typer.Option(
            False,
            "--force",
            help="Discard this shard's previous output of the stage and redo it "
            "(LLM answers still come from the cache).",
        ),
        no_progress: bool = typer.Option(False, "--no-progress", help=NO_PROGRESS_HELP),
    ) -> None:
        _run(config, [name], shard, output_dir, force, no_progress)

    command.__doc__ = f"Run (or resume) the {name} stage only."
    return command


for _stage in ALL_STAGES:
    gen_app.command(_stage)(_stage_command(_stage))


@gen_app.command("status")
def status(
    config: Path = typer.Option(..., "--config", "-c", help=CONFIG_HELP),
    output_dir: str | None = typer.Option(None, "--output-dir", help=OUTPUT_HELP),
) -> None:
    """Show every stage's state and kept/dropped counts."""
    from rich.console import Console
    from rich.table import Table

    from data_gen.storage import stage_status, stage_summary

    with user_errors():
        cfg = _load(config, output_dir)
    title = "SynthSmith" if cfg.mode == "synthsmith" else f"{cfg.mode} mode"
    table = Table(title=f"{title} run in {cfg.output_dir}", title_justify="left")
    for column in ("stage", "state", "items", "kept", "dropped", "top drop reasons"):
        table.add_column(column, justify="right" if column in ("items", "kept", "dropped") else "left")
    for name in cfg.stages:
        done, why = stage_status(cfg.output_dir, name)
        s = stage_summary(cfg.output_dir, name)
        top = ", ".join(f"{r} {n}" for r, n in s.dropped.most_common(3))
        state = "finished" if done else ("not started" if "has not run" in why else "in progress")
        table.add_row(name, state, str(s.items), str(s.kept), str(sum(s.dropped.values())), top)
    Console().print(table)


# ------------------------------------------------------------------------------------------------
# gen procedural: rows straight from the task families


def _procedural_help(name: str) -> str:
    from data_gen.procedural import ProceduralConfig
    from data_gen.procedural.rows import RowsConfig
    from xcoder.config import field_help

    for cls in (ProceduralConfig, RowsConfig):
        for f in fields(cls):
            if f.name == name:
                return field_help(f)
    raise KeyError(name)


def parse_mapping(text: str, flag: str, cast: type) -> dict[str, Any]:
    """``a=1,b=2`` -> ``{"a": 1, "b": 2}`` (values cast with ``cast``)."""
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            out[key.strip()] = cast(value)
        except ValueError:
            raise UserError(f"{flag}: expected NAME={cast.__name__.upper()}[,NAME=...], got {part!r}") from None
    return out


def procedural_configs(config: Path | None, options: dict[str, Any]):
    """``(ProceduralConfig, RowsConfig)`` from an optional YAML (keys of both, at the top level or in
    a ``procedural:`` section as in ``recipes/tiny/pipeline.yaml``) with ``options`` overriding it."""
    from data_gen.procedural import ProceduralConfig
    from data_gen.procedural.rows import RowsConfig
    from xcoder.config import ConfigError, build, read_yaml

    data: dict[str, Any] = {}
    if config is not None:
        data = read_yaml(config)
        if isinstance(data.get("procedural"), dict):
            data = dict(data["procedural"])
    data.update({k: v for k, v in options.items() if v is not None})
    row_keys = {f.name for f in fields(RowsConfig)}
    try:
        rows_cfg = build(RowsConfig, {k: v for k, v in data.items() if k in row_keys})
        proc_cfg = build(ProceduralConfig, {k: v for k, v in data.items() if k not in row_keys}, "procedural")
    except ConfigError as err:
        # ProceduralConfig's own checks already name their key (procedural.tests: ...)
        msg = str(err).replace("procedural: procedural.", "procedural.", 1)
        raise ConfigError(f"{config}: {msg}" if config is not None else msg) from None
    return proc_cfg, rows_cfg


@gen_app.command("procedural")
def procedural(
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the JSONL file(s)."),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="YAML with the options below (keys as named here with '_', top level or a procedural: section).",
    ),
    rows: str | None = typer.Option(None, "--rows", help=_procedural_help("rows") + " [default: sft]"),
    prompt: str | None = typer.Option(None, "--prompt", help=_procedural_help("prompt") + " [default: lcb]"),
    system_prompt: str | None = typer.Option(
        None, "--system-prompt", help=_procedural_help("system_prompt") + " 'none' for None."
    ),
    families: str | None = typer.Option(None, "--families", help=_procedural_help("families") + " Comma-separated."),
    train_tasks: int | None = typer.Option(
        None, "--train-tasks", help=_procedural_help("train_tasks") + " One row each."
    ),
    styles: str | None = typer.Option(
        None, "--styles", help=_procedural_help("styles") + " E.g. codeforces=2,leetcode=1."
    ),
    examples: int | None = typer.Option(None, "--examples", help=_procedural_help("examples")),
    tests: str | None = typer.Option(None, "--tests", help=_procedural_help("tests") + " E.g. small=4,medium=3."),
    seed: int | None = typer.Option(None, "--seed", help=_procedural_help("seed")),
    name: str | None = typer.Option(
        None,
        "--name",
        help="File stem (default: sft for --rows sft, grpo for "
        "--rows rl, whose warm-up rows go to <stem>_warmup.jsonl).",
    ),
    no_progress: bool = typer.Option(False, "--no-progress", help=NO_PROGRESS_HELP),
) -> None:
    """Write SFT or GRPO rows made from the procedural task families, every reference program judged
    on its row's tests first (deterministic in --seed; no model, no network)."""
    from rich.console import Console

    from data_gen.procedural import FamilyError, sample_instances
    from data_gen.procedural.rows import make_rows, verify_rows, warmup_rows
    from xcoder.io import atomic_write_jsonl
    from xcoder.judge import Judge

    with user_errors():
        options: dict[str, Any] = {
            "rows": rows,
            "prompt": prompt,
            "train_tasks": train_tasks,
            "examples": examples,
            "seed": seed,
            "system_prompt": system_prompt,
            "families": None if families is None else [f.strip() for f in families.split(",") if f.strip()],
            "styles": None if styles is None else parse_mapping(styles, "--styles", float),
            "tests": None if tests is None else parse_mapping(tests, "--tests", int),
        }
        proc_cfg, rows_cfg = procedural_configs(config, options)
        if out.exists() and not out.is_dir():
            raise UserError(f"--out {out} is a file, not a directory")
        try:
            instances = sample_instances(proc_cfg, "train")
            made, problems, programs = make_rows(instances, rows_cfg)
        except FamilyError as err:
            raise UserError(str(err)) from None
    try:
        with Judge() as judge:
            verify_rows(problems, programs, judge, progress=not no_progress)
    except FamilyError as err:
        raise fail(str(err), code=1) from None
    stem = name or ("sft" if rows_cfg.rows == "sft" else "grpo")
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"{stem}.jsonl"]
    atomic_write_jsonl(written[0], made)
    if rows_cfg.rows == "rl":
        written.append(out / f"{stem}_warmup.jsonl")
        atomic_write_jsonl(written[1], warmup_rows(made))
    Console().print(
        f"wrote {len(made)} verified {rows_cfg.rows} rows to {', '.join(map(str, written))}", soft_wrap=True
    )


# ------------------------------------------------------------------------------------------------
# gen decontaminate: n-gram overlap of any dataset with evaluation benchmarks


@gen_app.command("decontaminate")
def decontaminate(
    data: Path = typer.Option(
        ...,
        "--data",
        help="JSONL rows; the text is question, question_content, prompt "
        "(text or chat messages) or messages, or the field named by --field.",
    ),
    against: list[Path] = typer.Option(
        ...,
        "--against",
        help="Benchmark file(s): LiveCodeBench JSONL, HumanEval "
        "JSONL(.gz), MBPP JSONL. Repeat the flag or list several after it.",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Report JSONL: one row per flagged data row."),
    field: str | None = typer.Option(None, "--field", help="Field holding each row's text."),
    ngram: int = typer.Option(8, "--ngram", help="Words per n-gram."),
    threshold: float = typer.Option(0.3, "--threshold", help="Overlap at which a row is flagged."),
) -> None:
    """Flag data rows whose statement overlaps a benchmark problem (n-grams); a summary on stderr."""
    import sys

    from data_gen.checks.decontam import load_index, row_id, row_text
    from xcoder.io import atomic_write_jsonl, iter_jsonl

    with user_errors():
        if not data.is_file():
            raise UserError(f"--data {data} does not exist")
        try:
            index = load_index(against, ngram, threshold)
        except (FileNotFoundError, ValueError, OSError) as err:
            raise UserError(f"--against: {err}") from None
        report, rows, textless = [], 0, 0
        for number, row, error in iter_jsonl(data):
            if error is not None:
                raise UserError(error)
            rows += 1
            text = row_text(row, field) if isinstance(row, dict) else None
            if text is None:
                textless += 1
                continue
            match = index.match(text)
            if match is not None:
                report.append(
                    {
                        "line": number,
                        "id": row_id(row),
                        "benchmark": match.source,
                        "benchmark_id": match.benchmark_id,
                        "overlap": match.overlap,
                        "shared_ngrams": match.shared,
                    }
                )
    atomic_write_jsonl(out, report)
    note = f"; {textless} without text" if textless else ""
    print(
        f"decontaminate: {len(report)} of {rows} rows overlap {len(index.docs)} benchmark problems "
        f"(>= {threshold:g} of {ngram}-grams){note}; report: {out}",
        file=sys.stderr,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(gen_app, name="gen")
