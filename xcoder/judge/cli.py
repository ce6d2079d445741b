"""``xcoder judge``: grade a samples file (LiveCodeBench's ``code_list`` format) against problems."""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from xcoder.cancel import Cancelled, cancellable
from xcoder.cli_errors import UserError, fail
from xcoder.cli_options import config_options
from xcoder.config import config_to_dict
from xcoder.io import atomic_write_jsonl, iter_jsonl
from xcoder.judge.judge import JudgeConfig


def partial_path(out_path: Path) -> Path:
    """Where verdicts stream while judging: beside ``--out``, renamed away once the run finishes."""
    return out_path.with_name(out_path.name + ".partial")


def check_out(out_path: Path, resume: bool) -> Path:
    """Before any judging: ``--out`` must be writable and an interrupted run's verdicts are never
    thrown away silently. Returns the partial file, created (or kept for ``--resume``)."""
    from xcoder.cli_errors import UserError

    partial = partial_path(out_path)
    if out_path.is_dir():
        raise UserError(f"--out {out_path} is a directory; give a file path")
    if partial.exists() and partial.stat().st_size and not resume:
        raise UserError(
            f"{partial} holds the verdicts of an interrupted run: add --resume to keep them, "
            "or delete it to start over"
        )
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "a", encoding="utf-8"):
            pass
        if out_path.exists() and not os.access(out_path, os.W_OK):
            raise PermissionError(13, "Permission denied", str(out_path))
    except OSError as exc:
        raise UserError(f"cannot write --out {out_path}: {exc.strerror or exc}") from None
    return partial


def _rejected_problems(problems_path: Path, loaded: dict, errors: list[str]) -> dict[str, str]:
    """``question_id -> why`` for rows of the problems file that were rejected, so their samples
    are reported as such rather than as unknown ids."""
    rejected: dict[str, str] = {}
    for lineno, row, err in iter_jsonl(problems_path):
        if err or not isinstance(row, dict) or row.get("question_id") is None:
            continue
        qid = str(row["question_id"])
        if qid in loaded or qid in rejected:
            continue
        prefix = f"{problems_path}:{lineno}"
        why = next((e for e in errors if e.startswith(prefix + ":") or e.startswith(prefix + " ")), "")
        rejected[qid] = why or f"{prefix}: rejected"
    return rejected


def _check_problems_file(path: Path) -> None:
    """A JSON array (or one object spread over lines) is not JSONL: say so instead of rejecting
    every line."""
    from xcoder.cli_errors import UserError

    with open(path, encoding="utf-8") as fh:
        head = fh.read(4096).lstrip()
    if head.startswith("["):
        raise UserError(f"--problems {path} holds a JSON array; expected JSONL (one problem object per line)")


def judge_files(
    problems_path: Path,
    samples_path: Path,
    out_path: Path,
    config: JudgeConfig,
    progress: bool = True,
    resume: bool = False,
) -> tuple[list[dict], list[str]]:
    """Judge every sample of every row; returns the output rows and the input errors.

    A bad row (malformed JSON, unknown ``question_id``, missing ``code_list``, a rejected problem)
    is reported and written back with ``error`` and an all-False ``graded_list``; every other row
    is judged. Each verdict streams to ``<out>.partial`` as it finishes, so a stopped or killed
    run loses nothing finished: ``resume=True`` takes the verdicts found there instead of judging
    again. ``--out`` is written (atomically, in input order) at the end and the partial removed.
    """
    from xcoder.hashing import digest, fingerprint
    from xcoder.io import JsonlAppender, iter_jsonl_tolerant
    from xcoder.judge import Judge
    from xcoder.judge.result import JudgeResult
    from xcoder.problem import load_problems

    partial = check_out(out_path, resume)
    _check_problems_file(problems_path)
    problems, errors = load_problems(problems_path)
    rejected = _rejected_problems(problems_path, problems, errors)
    judge_fp = fingerprint(config_to_dict(config))
    rows: list[dict] = []
    pairs: list[tuple[Any, str]] = []
    owners: list[tuple[int, int, str]] = []  # (row index, sample index, cache key) per pair
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
        n = len(codes) if isinstance(codes, list) else 0
        if qid is None:
            problem_error = f"{where}: missing 'question_id'"
        elif not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            problem_error = f"{where} (question_id={qid}): 'code_list' must be a list of strings"
        elif str(qid) in rejected:
            problem_error = (
                f"{where}: problem {qid!r} was rejected ({rejected[str(qid)]}); its {n} sample(s) were not judged"
            )
        elif str(qid) not in problems:
            problem_error = f"{where}: unknown question_id {qid!r} (not among the {len(problems)} loaded problems)"
        if problem_error:
            errors.append(problem_error)
            rows.append({**row, "graded_list": [False] * n, "error": problem_error})
            continue
        out = dict(row)
        rows.append(out)
        for j, code in enumerate(codes):
            pairs.append((problems[str(qid)], code))
            owners.append((len(rows) - 1, j, f"{lineno}:{qid}:{j}:{digest(code)}"))
        out["graded_list"] = [False] * len(codes)
        out["details"] = [None] * len(codes)

    cached: dict[str, dict] = {}
    if resume:
        for entry in iter_jsonl_tolerant(partial):
            if isinstance(entry, dict) and entry.get("judge") == judge_fp and isinstance(entry.get("detail"), dict):
                cached[entry.get("key")] = entry["detail"]

    def place(k: int, detail: dict) -> None:
        i, j, _ = owners[k]
        rows[i]["graded_list"][j] = detail["verdict"] == "accepted"
        rows[i]["details"][j] = detail

    todo = []
    for k, (_, _, key) in enumerate(owners):
        if key in cached:
            place(k, cached[key])
        else:
            todo.append(k)
    if resume and cached:
        print(
            f"resuming: {len(owners) - len(todo)} of {len(owners)} sample(s) already judged in {partial}",
            file=sys.stderr,
        )

    kept = [len(owners) - len(todo)]
    with JsonlAppender(partial) as appender:

        def on_result(t: int, result: JudgeResult) -> None:
            k = todo[t]
            detail = result.to_dict()
            place(k, detail)
            if result.verdict.value != "judge_error":  # a judge error is retried by --resume
                appender.write({"key": owners[k][2], "judge": judge_fp, "detail": detail})
                kept[0] += 1

        try:
            with Judge(config) as judge:
                judge.judge_batch(
                    [pairs[k] for k in todo], progress=progress, description="judging", on_result=on_result
                )
        except Cancelled:
            raise Cancelled(f"{kept[0]} of {len(owners)} sample(s) judged and kept in {partial}") from None
    atomic_write_jsonl(out_path, rows)
    partial.unlink(missing_ok=True)
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
        problems: Path = typer.Option(
            ...,
            "--problems",
            help="Problem rows (LiveCodeBench, question_id + input_output, or KodCode-V1): "
            "a JSONL/JSON/Parquet file, a directory of them, or a hub dataset id (its "
            "train split).",
        ),
        samples: Path = typer.Option(
            ..., "--samples", exists=True, dir_okay=False, help='JSONL of {"question_id", "code_list": [...]}.'
        ),
        out: Path = typer.Option(
            ..., "--out", dir_okay=False, help="Output JSONL: each sample row plus graded_list and details."
        ),
        all_tests: bool = typer.Option(
            False, "--all-tests", help="Run every test instead of stopping at the first failure."
        ),
        quiet: bool = typer.Option(False, help="No progress bar or summary."),
        resume: bool = typer.Option(
            False,
            "--resume",
            help="Keep the verdicts an interrupted run left in <out>.partial and judge only the rest.",
        ),
    ) -> None:
        """Judge samples against problems' tests, as LiveCodeBench's runner does, but isolated and fast.

        Judge options are JudgeConfig's fields (xcoder.judge)."""
        if out.resolve() in {problems.resolve(), samples.resolve()}:
            raise fail(f"--out {out} would overwrite an input file")
        if all_tests:
            config = replace(config, stop_on_first_failure=False)
        try:
            with cancellable("rerun the same command with --resume to judge the rest"):
                rows, errors = judge_files(problems, samples, out, config, progress=not quiet, resume=resume)
        except (UserError, OSError, ValueError) as exc:
            raise fail(str(exc)) from None
        if not quiet:
            _summary(rows, errors)
        elif errors:
            for err in errors:
                print(f"error: {err}", file=sys.stderr)
        if errors:
            raise typer.Exit(1)
