"""Output comparison rules.

``lcb`` reproduces LiveCodeBench's stdio grading so our numbers match theirs: strip the whole
output, split into lines, strip each line; lines must be equal in number; a line matches if the
text is equal or, failing that, if its whitespace-separated tokens are equal as Decimals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

COMPARE_MODES = ("lcb", "exact", "float")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except (InvalidOperation, ValueError):
        return None


def compare_lcb(output: str, expected: str) -> bool:
    got, want = _lines(output), _lines(expected)
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if g == w:
            continue
        dg, dw = _decimals(g), _decimals(w)
        if dg is None or dw is None or dg != dw:
            return False
    return True


def compare_exact(output: str, expected: str) -> bool:
    """Byte-for-byte, except that a single trailing newline on either side is ignored."""
    return output.removesuffix("\n") == expected.removesuffix("\n")


def _token_close(g: str, w: str, abs_tol: float, rel_tol: float) -> bool:
    if g == w:
        return True
    try:
        fg, fw = float(g), float(w)
    except ValueError:
        return False
    if math.isnan(fg) or math.isnan(fw):
        return False
    return abs(fg - fw) <= max(abs_tol, rel_tol * abs(fw))


def compare_float(output: str, expected: str, abs_tol: float = 1e-6, rel_tol: float = 1e-6) -> bool:
    """Token-wise: numbers within ``max(abs_tol, rel_tol*|expected|)``, other tokens equal."""
    got, want = output.split(), expected.split()
    return len(got) == len(want) and all(_token_close(g, w, abs_tol, rel_tol) for g, w in zip(got, want))


def stdout_comparator(mode: str, abs_tol: float = 1e-6, rel_tol: float = 1e-6) -> Callable[[str, str], bool]:
    if mode == "lcb":
        return compare_lcb
    if mode == "exact":
        return compare_exact
    if mode == "float":
        return lambda o, e: compare_float(o, e, abs_tol, rel_tol)
    raise ValueError(f"unknown comparison mode {mode!r}; choose one of {', '.join(COMPARE_MODES)}")


def describe_mismatch(output: str, expected: str, width: int = 80) -> str:
    """A short human-readable reason why ``output`` is not ``expected``."""
    got_lines, want_lines = output.strip().split("\n"), expected.strip().split("\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g.strip() != w.strip():
            return f"line {i + 1}: got {g.strip()[:width]!r}, expected {w.strip()[:width]!r}"
    return f"got {len(got_lines)} lines, expected {len(want_lines)}"


# ---------------------------------------------------------------------------------------------
# Functional (LeetCode-style) results


def _parse_int(text: str) -> int:
    """``int()`` without the interpreter's int-string digit limit, which we must not lift
    process-wide in the caller (it may be a training job)."""
    try:
        return int(text)
    except ValueError:
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        value = 0
        for start in range(0, len(digits), 4000):
            chunk = digits[start : start + 4000]
            value = value * pow(10, len(chunk)) + int(chunk)
        return sign * value


def loads_json(text: str) -> Any:
    """Parse JSON from a judged program or a dataset, with big integers allowed."""
    return json.loads(text, parse_int=_parse_int)


def _normalise(value: Any) -> Any:
    # LeetCode answers may come back as tuples; the reference data has lists.
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def compare_values(got: Any, expected: Any, mode: str = "lcb", abs_tol: float = 1e-6, rel_tol: float = 1e-6) -> bool:
    """Compare a functional result with the expected JSON value.

    ``lcb``/``exact``: Python equality after tuples become lists (as LiveCodeBench).
    ``float``: numbers anywhere in the structure may differ within tolerance.
    """
    got, expected = _normalise(got), _normalise(expected)
    if mode != "float":
        return got == expected
    return _close(got, expected, abs_tol, rel_tol)


def _close(got: Any, expected: Any, abs_tol: float, rel_tol: float) -> bool:
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(_close(g, e, abs_tol, rel_tol) for g, e in zip(got, expected))
        )
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(_close(got[k], expected[k], abs_tol, rel_tol) for k in expected)
        )
    numeric = (int, float)
    if (
        isinstance(expected, numeric)
        and isinstance(got, numeric)
        and not isinstance(got, bool)
        and not isinstance(expected, bool)
    ):
        return abs(got - expected) <= max(abs_tol, rel_tol * abs(expected))
    return got == expected
