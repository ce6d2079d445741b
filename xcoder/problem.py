"""The one problem/test schema of xcoder, and loaders for the row formats we speak.

Three ecosystems meet here: LiveCodeBench ``code_generation_lite`` rows (eval), APPS/TACO/X-Coder
``input_output`` rows (RL data, data generation) and KodCode question-solution-test triplets (a
pytest file per problem). All load into :class:`Problem`, so the judge, rewards and eval never care
where a problem came from.

Three kinds of problem (``Problem.kind``): ``stdin`` (the program reads stdin, its stdout is
compared), ``functional`` (``fn_name``: a LeetCode-style call whose return value is compared) and
``unittest`` (``test_file``: the program is importable as ``solution`` and a pytest file runs
against it; each collected test is one test of the result).
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xcoder import pyast
from xcoder.io import iter_jsonl
from xcoder.kodcode import entry_point, is_kodcode_row, normalise_row

STDIN = "stdin"
FUNCTIONAL = "functional"
UNITTEST = "unittest"
PROBLEM_KINDS = (STDIN, FUNCTIONAL, UNITTEST)


class ProblemFormatError(ValueError):
    """A problem row that cannot be turned into tests; the message names the row and field."""


@dataclass(frozen=True)
class TestCase:
    """One test. For functional problems ``input`` holds one JSON value per line (one line per
    argument) and ``output`` one JSON value, LiveCodeBench's encoding."""

    input: str
    output: str

    __test__ = False  # not a pytest test class


@dataclass
class Problem:
    """A problem with its tests; functional (LeetCode style) when ``fn_name`` is set, a unit-test
    problem when ``test_file`` is set (then ``tests`` is empty: the tests are what pytest
    collects from the file)."""

    question_id: str
    tests: list[TestCase]
    fn_name: str | None = None
    starter_code: str = ""
    question_content: str = ""
    question_title: str = ""
    platform: str = ""
    difficulty: str = ""
    contest_date: str = ""
    num_public: int = 0
    # Python source defining ``check(input, output, expected) -> bool`` for problems with many
    # valid answers; runs in the judge's sandbox like any other untrusted code.
    checker: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # A pytest file run as ``test_solution.py`` beside the program saved as ``solution.py``
    # (KodCode's layout); ``from solution import *`` is put in front of it, as KodCode does.
    test_file: str | None = None

    def __post_init__(self) -> None:
        if self.test_file is not None and self.fn_name is not None:
            raise ValueError(f"problem {self.question_id!r}: a unit-test problem has no fn_name")

    @property
    def kind(self) -> str:
        """``stdin``, ``functional`` or ``unittest``."""
        if self.test_file is not None:
            return UNITTEST
        return FUNCTIONAL if self.fn_name is not None else STDIN

    @property
    def is_functional(self) -> bool:
        return self.fn_name is not None

    @property
    def is_unittest(self) -> bool:
        return self.test_file is not None

    @property
    def has_tests(self) -> bool:
        return bool(self.tests) or bool(self.test_file and self.test_file.strip())

    @property
    def public_tests(self) -> list[TestCase]:
        return self.tests[: self.num_public]

    @property
    def private_tests(self) -> list[TestCase]:
        return self.tests[self.num_public :]

    def to_input_output(self) -> dict[str, Any]:
        """The APPS/TACO/X-Coder ``input_output`` dict for these tests."""
        io_: dict[str, Any] = {
            "inputs": [t.input for t in self.tests],
            "outputs": [t.output for t in self.tests],
        }
        if self.fn_name:
            io_["fn_name"] = self.fn_name
        return io_


# --------------------------------------------------------------------------------------------
# LiveCodeBench rows


class _StringsOnlyUnpickler(pickle.Unpickler):
    """LCB stores private tests as pickle(JSON string). Refuse every global so a hostile
    dataset cannot run code in the judge's own process."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to unpickle global {module}.{name}")


def decode_lcb_tests(value: Any, *, where: str) -> list[dict[str, Any]]:
    """Decode LCB ``public_test_cases``/``private_test_cases``: a list, JSON, or
    base64+zlib+pickle of JSON."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if not isinstance(value, (str, bytes)):
        raise ProblemFormatError(f"{where}: expected JSON or base64 text, got {type(value).__name__}")
    text = value.decode() if isinstance(value, bytes) else value
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            decoded: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProblemFormatError(f"{where}: invalid JSON ({exc})") from None
    else:
        try:
            raw = zlib.decompress(base64.b64decode(text, validate=False))
            decoded = _StringsOnlyUnpickler(io.BytesIO(raw)).load()
            if isinstance(decoded, bytes):
                decoded = decoded.decode()
            if isinstance(decoded, str):
                decoded = json.loads(decoded)
        except Exception as exc:  # noqa: BLE001 - any decoding failure is the row's fault
            raise ProblemFormatError(
                f"{where}: neither JSON nor base64+zlib+pickle ({type(exc).__name__}: {exc})"
            ) from None
    if not isinstance(decoded, list):
        raise ProblemFormatError(f"{where}: expected a list of tests, got {type(decoded).__name__}")
    return decoded


def _json_field(row: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = row.get(name)
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ProblemFormatError(f"{where}: field {name!r} is not valid JSON ({exc})") from None
    if not isinstance(parsed, dict):
        raise ProblemFormatError(f"{where}: field {name!r} must be a JSON object")
    return parsed


def _lcb_tests(raw: list[dict[str, Any]], where: str) -> list[TestCase]:
    tests = []
    for i, t in enumerate(raw):
        if not isinstance(t, dict) or "input" not in t or "output" not in t:
            raise ProblemFormatError(f"{where}[{i}]: a test needs 'input' and 'output'")
        tests.append(TestCase(str(t["input"]), str(t["output"])))
    return tests


def problem_from_lcb_row(row: Mapping[str, Any], *, where: str = "row") -> Problem:
    """Parse a LiveCodeBench ``code_generation_lite`` row."""
    qid = row.get("question_id")
    if qid in (None, ""):
        raise ProblemFormatError(f"{where}: missing 'question_id'")
    where = f"{where} (question_id={qid})"
    metadata = _json_field(row, "metadata", where)
    public = _lcb_tests(
        decode_lcb_tests(row.get("public_test_cases"), where=f"{where} public_test_cases"),
        f"{where} public_test_cases",
    )
    private = _lcb_tests(
        decode_lcb_tests(row.get("private_test_cases"), where=f"{where} private_test_cases"),
        f"{where} private_test_cases",
    )
    tests = public + private
    if not tests:
        raise ProblemFormatError(f"{where}: no tests (public_test_cases and private_test_cases are empty)")
    fn_name = metadata.get("func_name") or None
    return Problem(
        question_id=str(qid),
        tests=tests,
        fn_name=fn_name,
        starter_code=str(row.get("starter_code") or metadata.get("starter_code") or ""),
        question_content=str(row.get("question_content") or ""),
        question_title=str(row.get("question_title") or ""),
        platform=str(row.get("platform") or metadata.get("platform") or ""),
        difficulty=str(row.get("difficulty") or metadata.get("difficulty") or ""),
        contest_date=str(row.get("contest_date") or metadata.get("contest_date") or ""),
        num_public=len(public),
        checker=row.get("checker") or None,
        metadata=metadata,
    )


def encode_lcb_tests(tests: list[dict[str, Any]]) -> str:
    """LCB's ``private_test_cases`` encoding: base64(zlib(pickle(JSON text)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def problem_to_lcb_row(problem: Problem) -> dict[str, Any]:
    """A LiveCodeBench ``code_generation_lite`` row for ``problem`` (the inverse of
    :func:`problem_from_lcb_row`): the first ``num_public`` tests are public, the rest private,
    compressed as LCB ships them. For held-out splits that ``xcoder eval`` reads like LCB."""
    kind = FUNCTIONAL if problem.fn_name else STDIN
    public = [{"input": t.input, "output": t.output, "testtype": kind} for t in problem.public_tests]
    private = [{"input": t.input, "output": t.output, "testtype": kind} for t in problem.private_tests]
    metadata = dict(problem.metadata)
    if problem.fn_name:
        metadata["func_name"] = problem.fn_name
    row: dict[str, Any] = {
        "question_id": problem.question_id,
        "question_title": problem.question_title,
        "question_content": problem.question_content,
        "platform": problem.platform,
        "difficulty": problem.difficulty,
        "contest_date": problem.contest_date,
        "starter_code": problem.starter_code,
        "public_test_cases": json.dumps(public),
        "private_test_cases": encode_lcb_tests(private),
        "metadata": json.dumps(metadata),
    }
    if problem.checker:
        row["checker"] = problem.checker
    return row


# --------------------------------------------------------------------------------------------
# APPS / TACO / X-Coder ``input_output`` rows


def _as_text(value: Any, functional: bool) -> str:
    """Normalise one TACO-style input/output into our text encoding."""
    if isinstance(value, str):
        return value
    if functional:
        return json.dumps(value)
    if isinstance(value, list):  # APPS sometimes stores stdin as a list of lines
        return "\n".join(str(v) for v in value)
    return str(value)


def parse_input_output(value: Any, *, where: str = "row") -> tuple[list[TestCase], str | None]:
    """Parse an ``input_output`` field (JSON text or dict) into tests and the optional fn_name.

    Functional inputs are LCB-encoded text (one JSON value per line); TACO's list-of-arguments
    form is accepted and re-encoded that way.
    """
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ProblemFormatError(f"{where}: field 'input_output' is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ProblemFormatError(f"{where}: field 'input_output' must be an object with 'inputs' and 'outputs'")
    inputs, outputs = value.get("inputs"), value.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise ProblemFormatError(f"{where}: 'input_output' needs list fields 'inputs' and 'outputs'")
    if len(inputs) != len(outputs):
        raise ProblemFormatError(f"{where}: 'input_output' has {len(inputs)} inputs but {len(outputs)} outputs")
    if not inputs:
        raise ProblemFormatError(f"{where}: 'input_output' has no tests")
    fn_name = value.get("fn_name") or None
    functional = fn_name is not None
    tests = []
    for raw_in, raw_out in zip(inputs, outputs):
        if functional and isinstance(raw_in, list):
            text_in = "\n".join(json.dumps(arg) for arg in raw_in)
        else:
            text_in = _as_text(raw_in, functional)
        tests.append(TestCase(text_in, _as_text(raw_out, functional)))
    return tests, fn_name


_ID_FIELDS = ("question_id", "problem_id", "task_id", "id", "idx")
_TEXT_FIELDS = ("question_content", "question", "problem", "prompt_text", "description")


def problem_from_input_output_row(row: Mapping[str, Any], *, where: str = "row") -> Problem:
    """Parse a row carrying an ``input_output`` field (APPS/TACO/X-Coder/our RL export)."""
    qid = next((row[k] for k in _ID_FIELDS if row.get(k) not in (None, "")), None)
    if qid is None:
        raise ProblemFormatError(f"{where}: no id field (one of {', '.join(_ID_FIELDS)})")
    where = f"{where} (question_id={qid})"
    tests, fn_name = parse_input_output(row.get("input_output"), where=where)
    text = next((row[k] for k in _TEXT_FIELDS if isinstance(row.get(k), str) and row.get(k)), "")
    return Problem(
        question_id=str(qid),
        tests=tests,
        fn_name=fn_name,
        starter_code=str(row.get("starter_code") or ""),
        question_content=text,
        platform=str(row.get("platform") or ""),
        difficulty=str(row.get("difficulty") or ""),
        checker=row.get("checker") or None,
    )


# --------------------------------------------------------------------------------------------
# KodCode triplets (question, solution, pytest file)

KODCODE_METADATA = (
    "version",
    "style",
    "subset",
    "test_info",
    "gpt_pass_sequence",
    "gpt_pass_trial_num",
    "gpt_difficulty",
    "gpt_pass_percentage",
)


def check_test_file(text: Any, *, where: str) -> str:
    """A unit-test file that Python can parse, or a :class:`ProblemFormatError` naming the row."""
    if not isinstance(text, str) or not text.strip():
        raise ProblemFormatError(f"{where}: field 'test' must be a non-empty pytest file")
    try:
        pyast.parse(text, "test_solution.py")
    except (SyntaxError, ValueError) as exc:
        raise ProblemFormatError(f"{where}: the test file does not parse ({type(exc).__name__}: {exc})") from None
    return text


def problem_from_kodcode_row(row: Mapping[str, Any], *, where: str = "row") -> Problem:
    """Parse a KodCode-V1 row: ``question`` is the prompt (a task, or a stub to complete for the
    ``complete`` style), ``test`` the pytest file, ``solution`` the verified reference (kept in
    ``metadata["solution"]``). ``metadata["entry_point"]`` is the one function of ``test_info``,
    when there is exactly one (KodCode's own rule). The older layout (``test_code``,
    ``conversation_id``) loads too."""
    row = normalise_row(row)
    qid = row.get("question_id")
    if qid in (None, ""):
        raise ProblemFormatError(f"{where}: missing 'question_id'")
    where = f"{where} (question_id={qid})"
    test = check_test_file(row.get("test"), where=where)
    metadata: dict[str, Any] = {k: row[k] for k in KODCODE_METADATA if k in row}
    metadata["solution"] = str(row.get("solution") or "")
    if entry_point(row.get("test_info")):
        metadata["entry_point"] = entry_point(row.get("test_info"))
    return Problem(
        question_id=str(qid),
        tests=[],
        question_content=str(row.get("question") or ""),
        platform="kodcode",
        difficulty=str(row.get("gpt_difficulty") or ""),
        metadata=metadata,
        test_file=test,
    )


def problem_from_row(row: Mapping[str, Any], *, where: str = "row") -> Problem:
    """Parse any supported row format, chosen by the fields present."""
    if not isinstance(row, Mapping):
        raise ProblemFormatError(f"{where}: expected a JSON object, got {type(row).__name__}")
    if "input_output" in row:
        return problem_from_input_output_row(row, where=where)
    if "public_test_cases" in row or "private_test_cases" in row:
        return problem_from_lcb_row(row, where=where)
    if is_kodcode_row(row):
        return problem_from_kodcode_row(row, where=where)
    raise ProblemFormatError(
        f"{where}: neither a LiveCodeBench row (public_test_cases/private_test_cases), "
        "an 'input_output' row, nor a KodCode row (test, solution)"
    )


# --------------------------------------------------------------------------------------------
# Files


def load_problems(path: str | Path, split: str | None = None) -> tuple[dict[str, Problem], list[str]]:
    """Load problem rows (any format of :func:`problem_from_row`) from a JSONL file, or through
    :func:`xcoder.kodcode.iter_rows` from a JSON/Parquet file, a directory of such files or a hub
    dataset id (``split``, default ``train``), e.g. ``KodCode/KodCode-V1``.

    Returns the problems by ``question_id`` and one error message per row that could not be
    loaded; bad rows never stop the good ones from loading.
    """
    problems: dict[str, Problem] = {}
    errors: list[str] = []
    if Path(path).is_file() and Path(path).suffix.lower() == ".jsonl":
        rows: Iterable[tuple[str, Any]] = (
            (err or f"{path}:{lineno}", None if err else row) for lineno, row, err in iter_jsonl(path)
        )
    else:
        from xcoder.kodcode import iter_rows

        rows = iter_rows(path, split)
    for where, row in rows:
        if row is None:
            errors.append(where)
            continue
        try:
            problem = problem_from_row(row, where=where)
        except ProblemFormatError as exc:
            errors.append(str(exc))
            continue
        if problem.question_id in problems:
            errors.append(f"{where}: duplicate question_id {problem.question_id!r}; keeping the first")
            continue
        problems[problem.question_id] = problem
    return problems, errors


def problems_from_rows(rows: Iterable[Mapping[str, Any]], source: str = "rows") -> list[Problem]:
    """Parse many rows, raising on the first bad one (for in-memory datasets)."""
    return [problem_from_row(r, where=f"{source}[{i}]") for i, r in enumerate(rows)]
