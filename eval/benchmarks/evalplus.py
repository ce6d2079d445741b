"""EvalPlus's HumanEval+ and MBPP+ from their release JSONL (``HumanEvalPlus.jsonl.gz``, ``MbppPlus.jsonl.gz``).

Row fields: ``task_id``, ``prompt``, ``entry_point``, ``canonical_solution`` (HumanEval+: the body;
MBPP+: a full function), ``base_input`` and ``plus_input`` (lists of argument lists), ``atol``, and
``test``/``assertion``/``contract`` (not used for grading, as in EvalPlus).

Graded as a unit-test problem whose generated pytest file has one test per input
(``test_base[i]``, ``test_plus[i]``). Each test calls the canonical solution on a deep copy of the
input to get the expected value, inside the judge's sandbox and with Python's own types (tuples,
sets and floats stay what they are, nothing is serialised), then calls the program's function on
another copy under EvalPlus's time limit, ``max(1 s, 4 × the reference's time)``, and compares as
EvalPlus does: equal, or, where a tolerance applies (the row's ``atol``, or 1e-6 when the expected
value is made of floats), the same type and length and ``numpy.allclose(rtol=1e-7, atol)``.
HumanEval/32 (``find_zero``) is graded by its special oracle, ``|poly(xs, x)| <= atol``.

Not reproduced: MBPP+'s per-task input deserialisation table and its few special oracles (the
reference sees the same JSON inputs as the program, so expected values stay consistent); EvalPlus's
"atol persists for later inputs" quirk (here each input decides for itself).
"""

from __future__ import annotations

import json
from pathlib import Path

from eval.benchmarks import mbpp
from eval.benchmarks.common import INSTRUCT_PREFIX, INSTRUCT_USER, need, read_rows, unit_test_problem
from xcoder.problem import Problem, ProblemFormatError

FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input", "atol")
MIN_TIME_LIMIT = 1.0
TIME_LIMIT_FACTOR = 4.0
FIND_ZERO_TASK = "HumanEval/32"

_TEMPLATE = '''\
"""EvalPlus tests of {task_id}: one test per base and plus input, expected values from the reference."""
import copy as _copy
import json as _json
import signal as _signal
import threading as _threading
import time as _time

import pytest

import solution as _solution

_REFERENCE = {reference!r}
_ENTRY = {entry!r}
_ATOL = {atol!r}
_ORACLE = {oracle!r}
_MIN_LIMIT = {min_limit!r}
_FACTOR = {factor!r}
_BASE = _json.loads({base!r})
_PLUS = _json.loads({plus!r})

_REF_NS = {{"__name__": "reference"}}
exec(compile(_REFERENCE, "reference.py", "exec"), _REF_NS)


def _is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    dtype = getattr(x, "dtype", None)
    return dtype is not None and str(dtype) in ("float32", "float64")


class _TimeLimit(Exception):
    pass


def _alarm(signum, frame):
    raise _TimeLimit()


def _limited(fn, args, limit):
    if _threading.current_thread() is not _threading.main_thread():
        return fn(*args)
    old = _signal.signal(_signal.SIGALRM, _alarm)
    _signal.setitimer(_signal.ITIMER_REAL, limit)
    try:
        return fn(*args)
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        _signal.signal(_signal.SIGALRM, old)


def _check(inp):
    started = _time.perf_counter()
    expected = _REF_NS[_ENTRY](*_copy.deepcopy(inp))
    limit = max(_MIN_LIMIT, _FACTOR * (_time.perf_counter() - started))
    try:
        out = _limited(getattr(_solution, _ENTRY), _copy.deepcopy(inp), limit)
    except _TimeLimit:
        pytest.fail(f"time limit: {{limit:.2f}} s (EvalPlus: max({{_MIN_LIMIT}}, {{_FACTOR}} x the reference's time))")
    if _ORACLE == "find_zero":
        assert abs(_REF_NS["poly"](inp[0], out)) <= _ATOL, "find_zero: poly(xs, x) is not ~0"
        return
    atol = _ATOL
    exact = out == expected
    if atol == 0 and _is_floats(expected):
        atol = 1e-6
    if not exact and atol != 0:
        import numpy

        assert type(out) == type(expected), f"type {{type(out).__name__}} != {{type(expected).__name__}}"
        if isinstance(expected, (list, tuple)):
            assert len(out) == len(expected), f"length {{len(out)}} != {{len(expected)}}"
        assert numpy.allclose(out, expected, rtol=1e-07, atol=atol), "not within tolerance"
    else:
        assert exact, "wrong answer"


@pytest.mark.parametrize("i", range(len(_BASE)))
def test_base(i):
    _check(_BASE[i])


@pytest.mark.parametrize("i", range(len(_PLUS)))
def test_plus(i):
    _check(_PLUS[i])
'''


def make_test_file(task_id: str, reference: str, entry: str, base: list, plus: list, atol: float) -> str:
    oracle = "find_zero" if task_id == FIND_ZERO_TASK else None
    return _TEMPLATE.format(
        task_id=task_id,
        reference=reference,
        entry=entry,
        atol=float(atol),
        oracle=oracle,
        min_limit=MIN_TIME_LIMIT,
        factor=TIME_LIMIT_FACTOR,
        base=json.dumps(base),
        plus=json.dumps(plus),
    )


def problem_from_row(row: dict, where: str, benchmark: str) -> Problem:
    need(row, where, *FIELDS)
    task_id, prompt, entry = str(row["task_id"]), str(row["prompt"]), str(row["entry_point"])
    for name in ("base_input", "plus_input"):
        if not isinstance(row[name], list) or not all(isinstance(x, list) for x in row[name]):
            raise ProblemFormatError(f"{where}: {name!r} must be a list of argument lists")
    canonical = str(row["canonical_solution"])
    # HumanEval+'s canonical solution is the body of the prompt's function, MBPP+'s a full function.
    reference = canonical if benchmark == "mbpp_plus" else prompt + canonical
    if benchmark == "mbpp_plus":
        task_id = mbpp.question_id(task_id.split("/")[-1])
    return unit_test_problem(
        task_id,
        make_test_file(task_id, reference, entry, row["base_input"], row["plus_input"], float(row["atol"] or 0)),
        benchmark=benchmark,
        entry_point=entry,
        code_prompt=prompt,
        user_prompt=INSTRUCT_USER.format(prompt=prompt.strip()),
        assistant_prefix=INSTRUCT_PREFIX,
        reference=reference,
        num_base=len(row["base_input"]),
        num_plus=len(row["plus_input"]),
    )


def load(path: str | Path, benchmark: str) -> list[Problem]:
    if benchmark not in ("humaneval_plus", "mbpp_plus"):
        raise ValueError(f"not an EvalPlus benchmark: {benchmark}")
    return [problem_from_row(row, where, benchmark) for where, row in read_rows(path)]
