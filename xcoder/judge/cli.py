"""``xcoder judge``: grade a samples file (LiveCodeBench's ``code_list`` format) against problems."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from xcoder.cli_errors import fail
from xcoder.cli_options import config_options
from xcoder.io import atomic_write_jsonl, iter_jsonl
from xcoder.judge.judge import JudgeConfig


def judge_files(
    problems_path: Path,
    samples_path: Path,
    out_path: Path,
    config: JudgeConfig,
    progress: bool = True,
) -> tuple[list[dict], list[str]]:
    """Judge every sample of every row; returns the output rows and the input errors.

    A bad row (malformed JSON, unknown ``question_id``, missing ``code_list``) is reported and
    written back with ``error`` and an all-False ``graded_list``; every other row is judged.
    """
    from xcoder.judge import Judge
    from xcoder.problem import load_problems

    problems, errors = load_problems(problems_path)
    rows: list[dict] = []
    pairs: list[tuple[Any, str]] = []
    owners: list[tuple[int, int]] = []  # (row index, sample index) per pair
    for lineno, row, err in iter_jsonl(samples_path):
        if err:
            errors.append(err)
            continue
        where = f"{samples_path}:{lineno}"
        if not isinstance(row, dict):
            errors.append(f"{where}: expected a JSON object")
            continue
        qid, codes = row.get("question_id"), row.get("code_list")
        problem_error = None
        if qid is None:
            problem_error = f"{where}: missing 'question_id'"
        elif not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            problem_error = f"{where} (question_id={qid}): 'code_list' must be a list of strings"
        elif str(qid) not in problems:
            problem_error = f"{where}: unknown question_id {qid!r} (not among the {len(problems)} loaded problems)"
        if problem_error:
            errors.append(problem_error)
            n = len(codes) if isinstance(codes, list) else 0
            rows.append({**row, "graded_list": [False] * n, "error": problem_error})
            continue
        out = dict(row)
        rows.append(out)
        for j, code in enumerate(codes):
            pairs.append((problems[str(qid)], code))
            owners.append((len(rows) - 1, j))
        out["graded_list"] = [False] * len(codes)
        out["details"] = [None] * len(codes)

    with Judge(config) as judge:
        results = judge.judge_batch(pairs, progress=progress, description="judging")
    for (i, j), result in zip(owners, results):
        rows[i]["graded_list"][j] = result.accepted
        rows[i]["details"][j] = result.to_dict()
    atomic_write_jsonl(out_path, rows)
    return rows, errors


def _summary(rows: list[dict], errors: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    verdicts = Counter(d["verdict"] for r in rows for d in r.get("details", []) if d)
    samples = sum(len(r.get("graded_list", [])) for r in rows)
    accepted = sum(sum(r.get("graded_list", [])) for r in rows)
    table = Table(title="xcoder judge")
    table.add_column("verdict")
    table.add_column("samples", justify="right")
    for verdict, count in verdicts.most_common():
        table.add_row(verdict, str(count))
    table.add_row("[bold]total[/bold]", f"{samples} ({accepted} accepted)")
    console.print(table)
    isolation = {d["isolation"] for r in rows for d in r.get("details", []) if d}
    if isolation:
        console.print(f"isolation: {', '.join(sorted(isolation))}")
    for err in errors:
        console.print(f"[red]error:[/red] {err}")


def register(app: typer.Typer) -> None:
    @app.command("judge")
    @config_options(JudgeConfig, skip=("stop_on_first_failure",))
    def judge_command(
        config: JudgeConfig,
        problems: Path = typer.Option(..., "--problems",
                                      help="Problem rows (LiveCodeBench, question_id + input_output, or KodCode-V1): "
                                      "a JSONL/JSON/Parquet file, a directory of them, or a hub dataset id (its "
                                      "train split)."),
        samples: Path = typer.Option(..., "--samples", exists=True, dir_okay=False,
                                     help='JSONL of {"question_id", "code_list": [...]}.'),
        out: Path = typer.Option(..., "--out", dir_okay=False,
                                 help="Output JSONL: each sample row plus graded_list and details."),
        all_tests: bool = typer.Option(False, "--all-tests",
                                       help="Run every test instead of stopping at the first failure."),
        quiet: bool = typer.Option(False, help="No progress bar or summary."),
    ) -> None:
        """Judge samples against problems' tests, as LiveCodeBench's runner does, but isolated and fast.

        Judge options are JudgeConfig's fields (xcoder.judge)."""
        if out.resolve() in {problems.resolve(), samples.resolve()}:
            raise fail(f"--out {out} would overwrite an input file")
        if all_tests:
            config = replace(config, stop_on_first_failure=False)
        try:
            rows, errors = judge_files(problems, samples, out, config, progress=not quiet)
        except (OSError, ValueError) as exc:
            raise fail(str(exc)) from None
        if not quiet:
            _summary(rows, errors)
        elif errors:
            for err in errors:
                print(f"error: {err}", file=sys.stderr)
        if errors:
            raise typer.Exit(1)
