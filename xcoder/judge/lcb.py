"""``semantics="lcb"``: LiveCodeBench's runner, verdict for verdict, inside xcoder's sandbox.

xcoder's own semantics run a program as ``python3 solution.py < input`` would (real stdin and
stdout, exit codes count, recursion limit 10^6, functional return values normalised: tuples as
lists, numpy values as plain ones). LCB's runner (``lcb_runner/evaluation/testing_util.py``)
differs, and a published LCB number is only reproduced by differing the same way:

* the program is rewritten: a trailing ``if __name__ == '__main__':`` block is unwrapped, top-level
  imports are hoisted after LCB's import prelude, everything else becomes the body of a function
  ``wrapped_function`` (so ``global x`` at top level breaks); recursion limit 50,000;
* stdin is mocked (``sys.stdin.buffer``, ``open(0)``, ``os.read(0)`` and ``from sys import stdin``
  iteration do not see the input) and only ``sys.stdout`` is captured (``os.write(1)``,
  ``sys.stdout.buffer`` and ``from sys import stdout`` are lost); ``sys.exit(1)`` ends a test
  normally;
* ``reliability_guard``: ``os.getcwd``, ``subprocess``, ``quit``, ``import resource``... fail; no
  ``sortedcontainers``;
* functional: one ``Solution()`` shared by all tests, the return value compared with ``==`` after
  only a top-level tuple becomes a list (nested tuples, int dict keys, floats fail);
* per test ``alarm(int(timeout))`` raises an Exception the program can swallow; the whole sample
  is killed after ``(timeout + 1) * tests + 5`` seconds.

The worker side is ``worker/lcb.py``. :func:`lcb_reason` tags a failing lcb-mode test with the
mechanism that made it fail where the program would pass under xcoder's semantics, and
:func:`explain_difference` classifies why two verdicts for one sample differ.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from xcoder import pyast
from xcoder.judge.compare import compare_lcb
from xcoder.judge.worker.protocol import PRELUDE_MODULES

SEMANTICS = ("xcoder", "lcb")

LCB_PRELUDE_MODULES = PRELUDE_MODULES  # the same modules as xcoder's own prelude
LCB_RECURSION_LIMIT = 50000
LCB_PRELUDE = (
    "".join(f"from {m} import *\n" for m in (*LCB_PRELUDE_MODULES, "builtins", "typing"))
    + "".join(f"import {m}\n" for m in LCB_PRELUDE_MODULES)
    + f"sys.setrecursionlimit({LCB_RECURSION_LIMIT})\n"
)

# Reason tags: which LCB mechanism failed a test (see lcb_reason).
MOCKED_STDIN = "LCB's mocked stdin"
CAPTURED_STDOUT = "LCB's captured stdout (only sys.stdout counts)"
FUNCTION_WRAPPING = "LCB's function wrapping of top-level code"
RECURSION_LIMIT = "recursion limit (LCB 50000)"
RELIABILITY_GUARD = "LCB's reliability guard (disabled os/subprocess/quit/modules)"
NO_SORTEDCONTAINERS = "no sortedcontainers in LCB"
RETURN_VALUES = "return-value normalisation (LCB compares with == after only a top-level tuple becomes a list)"
SHARED_SOLUTION = "LCB's shared Solution instance"
TIMEOUTS = "LCB's timeouts (whole-second alarm, exception the program may catch, sample limit)"
EXIT_CODES = "exit codes (LCB ignores SystemExit in stdin programs; xcoder fails a nonzero exit)"
INT_DIGITS = "integer digit limit (LCB 50000)"
PRELUDE = "LCB's import prelude names"


def sample_timeout(timeout: float, n_tests: int) -> float:
    """LCB's limit for a whole sample (``check_correctness``'s join)."""
    return (timeout + 1) * n_tests + 5


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    try:
        return ast.unparse(node.test).strip() == "__name__ == '__main__'"
    except Exception:  # noqa: BLE001
        return False


def stdin_program(code: str) -> str:
    """The module LCB executes for a stdin program: prelude, hoisted top-level imports, and the
    rest as ``wrapped_function``. Code that does not parse is left as it is (its SyntaxError
    is then the test's runtime error, as in LCB)."""
    try:
        tree = pyast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return LCB_PRELUDE + "\n" + code
    body = list(tree.body)
    if body and _is_main_guard(body[-1]):
        body = body[:-1] + list(body[-1].body)
    imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
    others = [s for s in body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    func = ast.FunctionDef(
        name="wrapped_function",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=others,
        decorator_list=[],
        lineno=1,
    )
    try:
        return LCB_PRELUDE + "\n" + ast.unparse(ast.Module(body=imports, type_ignores=[])) + "\n" + ast.unparse(func)
    except Exception:  # noqa: BLE001 - LCB keeps the code as it is when rewriting fails
        return LCB_PRELUDE + "\n" + code


def call_program(code: str) -> str:
    """The module LCB executes for a functional program."""
    return LCB_PRELUDE + "\n\n" + code


def has_solution_class(code: str) -> bool:
    """LCB's test (a substring, even inside a string literal)."""
    return "class Solution" in code


# -- functional results -----------------------------------------------------------------------


class _Opaque:
    """A returned object of a type JSON has no equal for: never equal to the expected value."""

    def __init__(self, name: str, text: str):
        self.name, self.text = name, text

    def __repr__(self) -> str:
        return self.text


class _NumpyArray(list):
    """A multi-element numpy array: LCB's ``if not (prediction == expected)`` raises for it."""


def untyped(value: Any) -> Any:
    """The Python value the worker's ``typed`` encoding stands for."""
    if not isinstance(value, dict):
        return value
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "l" in value:
        return [untyped(v) for v in value["l"]]
    if "t" in value:
        return tuple(untyped(v) for v in value["t"])
    if "s" in value:
        items = [untyped(v) for v in value["s"]]
        try:
            return set(items)
        except TypeError:
            return _Opaque("set", repr(items))
    if "d" in value:
        try:
            return {untyped(k): untyped(v) for k, v in value["d"]}
        except TypeError:
            return _Opaque("dict", repr(value["d"]))
    if "a" in value:
        items = [untyped(v) for v in value["a"]]
        return items[0] if value.get("n") == 1 else _NumpyArray(items)
    return _Opaque(str(value.get("o")), str(value.get("r")))


def compare_call(typed_result: Any, expected_json: str) -> tuple[bool | None, str]:
    """LCB's comparison of a return value: ``prediction == json.loads(expected)``. None: the
    comparison itself raised (LCB: a runtime error)."""
    prediction = untyped(typed_result)
    expected = json.loads(expected_json)
    if isinstance(prediction, _NumpyArray):
        return None, "ValueError: the truth value of a numpy array with more than one element is ambiguous"
    return prediction == expected, repr(prediction)[:200]


def compare_stdout(captured: str, expected: str) -> bool:
    return compare_lcb(captured, expected)


# -- why lcb-mode fails -----------------------------------------------------------------------

_STDIN_PATTERNS = (
    r"open\(\s*0",
    r"os\.read\(\s*0",
    r"stdin\.buffer",
    r"\bfrom\s+sys\s+import\b[^\n]*\bstdin\b",
    r"fileno\(\)",
    r"(?<![.\w])stdin\.(read|readline|readlines)\b",
    r"for\s+\w+\s+in\s+stdin\b",
    r"sys\.__stdin__",
)
_STDOUT_PATTERNS = (
    r"os\.write\(\s*1",
    r"stdout\.buffer",
    r"\bfrom\s+sys\s+import\b[^\n]*\bstdout\b",
    r"sys\.__stdout__",
    r"stdout\.reconfigure",
    r"threading\.Thread",
)


def _has(code: str, patterns: tuple[str, ...]) -> bool:
    return any(re.search(p, code) for p in patterns)


def lcb_reason(code: str, functional: bool, verdict: str, message: str, output_empty: bool = False) -> str:
    """The LCB mechanism behind a failing lcb-mode test, from the program and the failure; ""
    when the failure is not LCB-specific as far as can be told (a plain wrong answer)."""
    m = message or ""
    if "RecursionError" in m or "maximum recursion depth" in m:
        return RECURSION_LIMIT
    if "sortedcontainers" in m:
        return NO_SORTEDCONTAINERS
    if "Exceeds the limit" in m and "integer string conversion" in m:
        return INT_DIGITS
    if "'NoneType' object is not callable" in m or "halted; None in sys.modules" in m:
        return RELIABILITY_GUARD
    if "TimeoutException" in m:
        return TIMEOUTS
    if functional:
        keeps_state = re.search(r"self\.\w+(\[[^\]]*\])?\s*[-+*/|&^]?=", code)
        if verdict == "wrong_answer" and has_solution_class(code) and keeps_state:
            return SHARED_SOLUTION  # state kept on the one instance LCB shares between tests
        if "ambiguous" in m or (verdict == "wrong_answer" and ("(" in m or "{" in m or "." in m)):
            return RETURN_VALUES
        return ""
    if "buffer" in m or "fileno" in m or "StopIteration" in m or "UnsupportedOperation" in m:
        return MOCKED_STDIN
    if "reconfigure" in m:
        return CAPTURED_STDOUT
    if "NameError" in m or "KeyError" in m or "nonlocal" in m or "global" in m:
        return FUNCTION_WRAPPING
    if "compile:" in m and "__future__" in m:
        return FUNCTION_WRAPPING
    if "AttributeError" in m and "Solution" in m:
        return FUNCTION_WRAPPING
    if verdict == "wrong_answer" or output_empty:
        if _has(code, _STDOUT_PATTERNS):
            return CAPTURED_STDOUT
        if _has(code, _STDIN_PATTERNS):
            return MOCKED_STDIN
        try:
            tree = pyast.parse(code)
        except (SyntaxError, ValueError):
            return ""
        if (
            tree.body
            and isinstance(tree.body[-1], ast.stmt)
            and not _is_main_guard(tree.body[-1])
            and any(_is_main_guard(s) or "__main__" in ast.unparse(s) for s in tree.body if isinstance(s, ast.If))
        ):
            return FUNCTION_WRAPPING
        if "__name__" in code:
            return FUNCTION_WRAPPING
    return ""


def explain_difference(code: str, xcoder_result, lcb_result, functional: bool = False) -> str | None:
    """Why the verdicts of one sample under the two semantics differ: None when they agree,
    else the LCB mechanism (a tag of this module) or a short description."""
    if xcoder_result.accepted == lcb_result.accepted:
        return None
    if lcb_result.reason:
        return lcb_result.reason
    if lcb_result.accepted:
        failing = next((t for t in xcoder_result.tests if t.verdict.value not in ("accepted", "skipped")), None)
        m = failing.message if failing else ""
        if "RecursionError" in m or "maximum recursion" in m:
            return RECURSION_LIMIT
        if "exit code" in m:
            return EXIT_CODES
        if "NameError" in m:
            return PRELUDE
        if "integer string conversion" in m:
            return INT_DIGITS
        if failing is not None and failing.verdict.value == "time_limit":
            return TIMEOUTS
        if functional:
            return SHARED_SOLUTION if "class Solution" in code else RETURN_VALUES
        return "LCB accepts what xcoder rejects: " + (m[:120] or (failing.verdict.value if failing else "?"))
    failing = next((t for t in lcb_result.tests if t.verdict.value not in ("accepted", "skipped")), None)
    if functional and "class Solution" in code and failing is not None and failing.verdict.value == "wrong_answer":
        return SHARED_SOLUTION
    return "xcoder accepts what LCB rejects: " + ((failing.message[:120] or failing.verdict.value) if failing else "?")
