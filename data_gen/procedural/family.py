"""A task family: one algorithmic task whose every instance is solved by the same program.

A family is declared once, as data: its arguments (typed: int, ints, str, grid, pairs), what it
returns, several phrasings of its legend, constraint templates, a parameter sampler, a
cyaron-based input generator and the *body* of a reference solution (a function of the
arguments). Everything style-specific is derived from that declaration, so the three styles can
never disagree with each other:

* the stdin program (Codeforces/AtCoder) = an input reader derived from the argument layout +
  ``def solve(...)`` with the body + a printer derived from the return type;
* the functional program (LeetCode) = ``class Solution`` with the body as the method;
* test inputs in both encodings (stdin text; one JSON value per argument line, LCB's encoding);
* the statement's input section, constraints and examples.

Why every parameter is read from the input: the family -> program mapping is then a function a
small model can learn (the same task always has the same program); instances differ in data,
constraints and phrasing, not in constants baked into the code.
"""

from __future__ import annotations

import json
import keyword
import random
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

ARG_KINDS = ("int", "ints", "str", "grid", "pairs")
RETURN_KINDS = ("int", "ints", "str", "bool")
TEST_SCALES = ("small", "medium", "large", "edge")
"""Scales a family's generator understands (a subset of ``data_gen.records.SCALES``)."""

_PY_TYPES = {
    "int": "int",
    "ints": "List[int]",
    "str": "str",
    "grid": "List[str]",
    "pairs": "List[List[int]]",
    "bool": "bool",
}


class FamilyError(ValueError):
    """A family declaration that cannot work; the message names the family and field."""


@dataclass(frozen=True)
class Arg:
    """One argument of a family's solution.

    ``name`` is the Python name (the functional signature and the code use it), ``short`` the
    letter statements use in Codeforces style (AtCoder upper-cases it, LeetCode uses ``name``).
    ``size`` names the length variable(s) a stdin header carries: one for ``ints``/``pairs``
    (``"n"``), two for ``grid`` (``"h w"``). ``parts`` are the component letters of a pair.
    """

    name: str
    kind: str
    short: str = ""
    size: str = ""
    parts: tuple[str, str] = ("u", "v")

    def __post_init__(self) -> None:
        if self.kind not in ARG_KINDS:
            raise FamilyError(f"Arg {self.name}: kind must be one of {ARG_KINDS}, got {self.kind!r}")
        if not self.short:
            object.__setattr__(self, "short", self.name)
        need = {"ints": 1, "pairs": 1, "grid": 2}.get(self.kind, 0)
        if len(self.size.split()) != need:
            raise FamilyError(f"Arg {self.name}: kind {self.kind} needs {need} size name(s), got {self.size!r}")

    @property
    def size_names(self) -> list[str]:
        return self.size.split()


@dataclass
class Family:
    """A task family (see the module docstring). ``phrasings`` are ``(title, legend)`` pairs; the
    last ``holdout`` of them are never used for training data (the held-out split uses them).

    Legends and constraints are ``str.format`` templates: ``{a}`` is an argument by its short
    letter, ``{a_i}`` its elements, ``{n}`` a size name, ``{p[KEY]}`` a sampled parameter
    (constraints only: legends never carry numbers, the program reads everything from input).
    Constraints use ``<=``; each style renders it its own way.
    """

    name: str
    features: dict[str, Any]
    args: list[Arg]
    returns: str
    fn: str  # LeetCode method name
    phrasings: list[tuple[str, str]]
    answer: str  # noun phrase (or, for bool, a condition) describing the output
    constraints: list[str]
    params: Callable[[random.Random], dict[str, Any]]
    gen: Callable[[dict[str, Any], str], dict[str, Any]]  # (params, scale) -> argument values; uses cyaron
    body: str
    alternatives: list[str] = field(default_factory=list)  # other correct bodies
    buggy: list[str] = field(default_factory=list)  # plausible wrong bodies (noisy candidates)
    holdout: int = 3  # phrasings reserved for the held-out split (the last ones)
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"family {self.name}"
        if self.returns not in RETURN_KINDS:
            raise FamilyError(f"{where}: returns must be one of {RETURN_KINDS}, got {self.returns!r}")
        if len(self.phrasings) < self.holdout + 2:
            raise FamilyError(f"{where}: needs at least {self.holdout + 2} phrasings ({self.holdout} held out)")
        names = [a.name for a in self.args] + [s for a in self.args for s in a.size_names]
        if len(set(names)) != len(names):
            raise FamilyError(f"{where}: argument and size names collide: {names}")
        if any(keyword.iskeyword(n) for n in names):
            raise FamilyError(f"{where}: a name is a Python keyword: {names}")

    # ----------------------------------------------------------------------------------------
    # Programs

    @property
    def arg_names(self) -> list[str]:
        return [a.name for a in self.args]

    def stdin_code(self, body: str | None = None) -> str:
        """The complete stdin program for a body (default: the reference)."""
        body = self.body if body is None else body
        lines = _reader_lines(self.args)
        call = f"solve({', '.join(self.arg_names)})"
        printer = {
            "int": f"print({call})",
            "str": f"print({call})",
            "ints": f"print(*{call})",
            "bool": f"print('Yes' if {call} else 'No')",
        }[self.returns]
        head = f"def solve({', '.join(self.arg_names)}):\n{_indent(body, 1)}\n"
        return head + "\n\n" + "\n".join(lines) + "\n" + printer + "\n"

    def signature(self) -> str:
        params = ", ".join(f"{a.name}: {_PY_TYPES[a.kind]}" for a in self.args)
        return f"def {self.fn}(self, {params}) -> {_PY_TYPES[self.returns]}:"

    def starter_code(self) -> str:
        """LeetCode starter code, as LiveCodeBench rows carry it."""
        return f"class Solution:\n    {self.signature()}\n        "

    def functional_code(self, body: str | None = None) -> str:
        body = self.body if body is None else body
        return f"class Solution:\n    {self.signature()}\n{_indent(body, 2)}\n"

    def code(self, style: str, body: str | None = None) -> str:
        return self.functional_code(body) if style == "leetcode" else self.stdin_code(body)

    def solve(self, values: dict[str, Any]) -> Any:
        """Run the reference body in this process (our own code): for the statement's examples,
        which must exist before anything is judged. Tests are always run by the judge."""
        if self._compiled is None:
            ns: dict[str, Any] = {}
            src = f"def solve({', '.join(self.arg_names)}):\n{_indent(self.body, 1)}\n"
            exec(compile(src, f"<family {self.name}>", "exec"), ns)  # noqa: S102 - trusted, in-repo code
            self._compiled = ns["solve"]
        import copy

        return self._compiled(*[copy.deepcopy(values[n]) for n in self.arg_names])

    # ----------------------------------------------------------------------------------------
    # Inputs and outputs in both encodings

    def stdin_input(self, values: dict[str, Any]) -> str:
        return render_stdin(self.args, values)

    def functional_input(self, values: dict[str, Any]) -> str:
        return "\n".join(json.dumps(values[a.name]) for a in self.args)

    def test_input(self, style: str, values: dict[str, Any]) -> str:
        return self.functional_input(values) if style == "leetcode" else self.stdin_input(values)

    def stdin_output(self, result: Any) -> str:
        if self.returns == "bool":
            return "Yes" if result else "No"
        if self.returns == "ints":
            return " ".join(map(str, result))
        return str(result)

    def test_output(self, style: str, result: Any) -> str:
        return json.dumps(result) if style == "leetcode" else self.stdin_output(result)

    def generate(self, params: dict[str, Any], scale: str, seed: int) -> dict[str, Any]:
        """One input's argument values, deterministic in ``seed`` (cyaron draws from the global
        ``random``; :func:`seeded` pins and restores it)."""
        if scale not in TEST_SCALES:
            raise FamilyError(f"family {self.name}: unknown scale {scale!r}; known: {TEST_SCALES}")
        with seeded(seed):
            values = self.gen(params, scale)
        missing = [n for n in self.arg_names if n not in values]
        if missing:
            raise FamilyError(f"family {self.name}: generator returned no value for {missing}")
        return {n: values[n] for n in self.arg_names}


# --------------------------------------------------------------------------------------------
# Helpers


def _indent(code: str, level: int) -> str:
    return textwrap.indent(textwrap.dedent(code).strip("\n"), "    " * level)


def _reader_lines(args: list[Arg]) -> list[str]:
    """Input-reading statements for the stdin layout of :func:`render_stdin`."""
    header = _header_names(args)
    lines = []
    if len(header) == 1:
        lines.append(f"{header[0]} = int(input())")
    elif header:
        lines.append(f"{', '.join(header)} = map(int, input().split())")
    for a in args:
        if a.kind == "ints":
            lines.append(f"{a.name} = list(map(int, input().split()))")
        elif a.kind == "str":
            lines.append(f"{a.name} = input().strip()")
        elif a.kind == "grid":
            lines.append(f"{a.name} = [input().strip() for _ in range({a.size_names[0]})]")
        elif a.kind == "pairs":
            lines.append(f"{a.name} = [list(map(int, input().split())) for _ in range({a.size_names[0]})]")
    return lines


def _header_names(args: list[Arg]) -> list[str]:
    names: list[str] = []
    for a in args:
        names.extend([a.name] if a.kind == "int" else a.size_names)
    return names


def render_stdin(args: list[Arg], values: dict[str, Any]) -> str:
    """Stdin text: a first line with the integers and sizes, then each list, string, grid row and
    pair on its own line(s)."""
    header: list[Any] = []
    for a in args:
        v = values[a.name]
        if a.kind == "int":
            header.append(v)
        elif a.kind in ("ints", "pairs"):
            header.append(len(v))
        elif a.kind == "grid":
            header.extend([len(v), len(v[0]) if v else 0])
    lines = [" ".join(map(str, header))] if header else []
    for a in args:
        v = values[a.name]
        if a.kind == "ints":
            lines.append(" ".join(map(str, v)))
        elif a.kind == "str":
            lines.append(v)
        elif a.kind == "grid":
            lines.extend(v)
        elif a.kind == "pairs":
            lines.extend(f"{x} {y}" for x, y in v)
    return "\n".join(lines) + "\n"


_RANDOM_LOCK = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed the global ``random`` (which cyaron uses) and restore its state afterwards, so
    generation is deterministic and the caller's random stream is untouched."""
    with _RANDOM_LOCK:
        state = random.getstate()
        random.seed(seed)
        try:
            yield
        finally:
            random.setstate(state)
