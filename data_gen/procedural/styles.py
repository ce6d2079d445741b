"""Statement rendering in the three task styles, several framings each.

A statement = the family's legend (one of its phrasings) inside a *framing*: the section headings,
input description, constraints, output sentence and example layout of a contest platform.
Codeforces and AtCoder statements read stdin; LeetCode statements are functional (``class
Solution`` starter code). The last framing of each style is reserved for the held-out split, so
held-out statements combine an unseen legend with an unseen framing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from data_gen.procedural.family import Arg, Family

STYLES = ("codeforces", "atcoder", "leetcode")
HOLDOUT_FRAMINGS = 1  # the last framing of each style


@dataclass
class Example:
    input: str  # in the style's test encoding
    output: str
    values: dict[str, Any]
    result: Any


# --------------------------------------------------------------------------------------------
# Names of things, per style


def display_names(family: Family, style: str, params: dict[str, Any]) -> dict[str, Any]:
    """``str.format`` keys for legends/constraints: arguments, their elements, sizes, parts."""
    names: dict[str, Any] = {"p": params}
    upper = style == "atcoder"
    for a in family.args:
        short = a.short.upper() if upper else a.short
        if style == "leetcode":
            names[a.short] = a.name
            names[f"{a.short}_i"] = f"{a.name}[i]"
            names[f"len_{a.short}"] = f"{a.name}.length"
        else:
            names[a.short] = short
            names[f"{a.short}_i"] = f"{short}_i"
            names[f"len_{a.short}"] = f"|{short}|"
        for s in a.size_names:
            names[s] = s.upper() if upper else s
        if a.kind == "pairs":
            for part in a.parts:
                names[f"{part}_i"] = f"{part.upper() if upper else part}_i"
    return names


def fill(template: str, names: dict[str, Any], where: str) -> str:
    try:
        return template.format(**names)
    except (KeyError, IndexError) as err:
        raise ValueError(f"{where}: template {template!r} names an unknown placeholder {err}") from None


_LEQ = {"codeforces": "≤", "atcoder": "\\leq", "leetcode": "<="}


def constraint_lines(family: Family, style: str, names: dict[str, Any]) -> list[str]:
    lines = [
        fill(c, names, f"family {family.name} constraints").replace("<=", _LEQ[style]) for c in family.constraints
    ]
    if style == "leetcode":  # LeetCode ties its size letters to the arrays
        for a in family.args:
            sizes = a.size_names
            if a.kind in ("ints", "pairs"):
                lines.insert(0, f"{sizes[0]} == {a.name}.length")
            elif a.kind == "grid":
                lines[:0] = [f"{sizes[0]} == {a.name}.length", f"{sizes[1]} == {a.name}[i].length"]
    elif style == "atcoder":
        lines.append(
            "All input numbers are integers."
            if any(a.kind in ("int", "ints", "pairs") for a in family.args)
            else "The input is given as described below."
        )
    return lines


# --------------------------------------------------------------------------------------------
# Input sections


_COUNT = {1: "an integer", 2: "two integers", 3: "three integers", 4: "four integers"}
_ORD = ["first", "second", "third", "fourth", "fifth"]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _header(args: list[Arg], names: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for a in args:
        out.extend([names[a.short]] if a.kind == "int" else [names[s] for s in a.size_names])
    return out


def codeforces_input(family: Family, names: dict[str, Any]) -> str:
    """Codeforces prose: 'The first line contains two integers n and k. The second line ...'."""
    sentences: list[str] = []
    line = 0
    header = _header(family.args, names)
    if header:
        sentences.append(f"The first line contains {_COUNT[len(header)]} {_join(header)}.")
        line = 1
    for a in family.args:
        where = f"The {_ORD[line]} line" if line < len(_ORD) else "The next line"
        if a.kind == "ints":
            n, e = names[a.size_names[0]], names[a.short]
            sentences.append(f"{where} contains {n} integers {e}_1, {e}_2, …, {e}_{n}.")
            line += 1
        elif a.kind == "str":
            sentences.append(f"{where} contains the string {names[a.short]}.")
            line += 1
        elif a.kind == "grid":
            h, w = (names[s] for s in a.size_names)
            sentences.append(f"Each of the next {h} lines contains a string of {w} characters: a row of the grid.")
            line = len(_ORD)
        elif a.kind == "pairs":
            m = names[a.size_names[0]]
            p, q = (names[f"{part}_i"] for part in a.parts)
            sentences.append(f"Each of the next {m} lines contains two integers {p} and {q}.")
            line = len(_ORD)
    return " ".join(sentences)


def atcoder_format(family: Family, names: dict[str, Any]) -> str:
    """AtCoder's format block ('N K' / 'A_1 A_2 \\ldots A_N' / ...)."""
    lines: list[str] = []
    header = _header(family.args, names)
    if header:
        lines.append(" ".join(header))
    for a in family.args:
        if a.kind == "ints":
            e, n = names[a.short], names[a.size_names[0]]
            lines.append(f"{e}_1 {e}_2 \\ldots {e}_{n}")
        elif a.kind == "str":
            lines.append(names[a.short])
        elif a.kind == "grid":
            h = names[a.size_names[0]]
            lines.extend([f"{names[a.short]}_1", f"{names[a.short]}_2", "\\vdots", f"{names[a.short]}_{h}"])
        elif a.kind == "pairs":
            m = names[a.size_names[0]]
            p, q = (part.upper() for part in a.parts)
            lines.extend([f"{p}_1 {q}_1", "\\vdots", f"{p}_{m} {q}_{m}"])
    return "\n".join(lines)


def leetcode_value(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def leetcode_example_input(family: Family, values: dict[str, Any]) -> str:
    return ", ".join(f"{a.name} = {leetcode_value(values[a.name])}" for a in family.args)


# --------------------------------------------------------------------------------------------
# Framings


@dataclass
class Parts:
    """Everything a framing lays out."""

    family: Family
    names: dict[str, Any]
    legend: str
    answer: str
    constraints: list[str]
    examples: list[Example]


def _output_sentence(style: str, returns: str, answer: str, variant: int) -> str:
    """The output sentence. Variant 2 (the held-out framings) is generic on purpose: the family's
    ``answer`` phrase is shared by all its phrasings, so held-out statements must not repeat it."""
    if variant == 2:
        if style == "leetcode":
            return "Return true or false accordingly." if returns == "bool" else "Return the result."
        return {"bool": "Output Yes or No.", "ints": "Output the answer as space-separated integers."}.get(
            returns, "Output the answer."
        )
    if style == "leetcode":
        if returns == "bool":
            return f"Return true if {answer}, and false otherwise."
        return f"Return {answer}."
    if returns == "bool":
        return (f"Print Yes if {answer}, and No otherwise.", f"If {answer}, print Yes; otherwise, print No.")[variant]
    tail = ", separated by spaces" if returns == "ints" else ""
    return (f"Print {answer}{tail}.", "Print the answer" + (" (the numbers separated by spaces)." if tail else "."))[
        variant
    ]


def _cf0(p: Parts) -> str:
    ex = "\n".join(f"Input\n{e.input.rstrip()}\nOutput\n{e.output}" for e in p.examples)
    return (
        f"{p.legend}\n\nInput\n{codeforces_input(p.family, p.names)} Constraints: {'; '.join(p.constraints)}.\n\n"
        f"Output\n{_output_sentence('codeforces', p.family.returns, p.answer, 0)}\n\nExample\n{ex}\n"
    )


def _cf1(p: Parts) -> str:
    ex = "\n".join(
        f"Sample input {i}\n{e.input.rstrip()}\nSample output {i}\n{e.output}" for i, e in enumerate(p.examples, 1)
    )
    cons = "\n".join(f"- {c}" for c in p.constraints)
    return (
        f"{p.legend}\n\nInput format\n{codeforces_input(p.family, p.names)}\n{cons}\n\n"
        f"Output format\n{_output_sentence('codeforces', p.family.returns, p.answer, 1)}\n\n{ex}\n"
    )


def _cf2(p: Parts) -> str:  # held out
    ex = "\n".join(f"stdin:\n{e.input.rstrip()}\nstdout:\n{e.output}" for e in p.examples)
    return (
        f"{p.legend}\n\nThe input\n{codeforces_input(p.family, p.names)}\nLimits: {', '.join(p.constraints)}.\n\n"
        f"The output\n{_output_sentence('codeforces', p.family.returns, p.answer, 2)}\n\nExamples\n{ex}\n"
    )


def _ac(p: Parts, variant: int) -> str:
    cons = "\n".join(f"- {c}" for c in p.constraints)
    fmt = atcoder_format(p.family, p.names)
    heads = [
        (
            "Problem Statement",
            "Constraints",
            "Input",
            "The input is given from Standard Input in the following format:",
            "Output",
            "Sample Input {i}",
            "Sample Output {i}",
        ),
        (
            "Problem",
            "Constraints",
            "Input",
            "Input is given from Standard Input in this format:",
            "Output",
            "Sample Input {i}",
            "Sample Output {i}",
        ),
        (
            "Statement",
            "Limits",
            "Input Format",
            "Standard Input holds:",
            "Output Format",
            "Example {i} (input)",
            "Example {i} (output)",
        ),
    ][variant]
    ex = "\n\n".join(
        f"{heads[5].format(i=i)}\n{e.input.rstrip()}\n\n{heads[6].format(i=i)}\n{e.output}"
        for i, e in enumerate(p.examples, 1)
    )
    return (
        f"{heads[0]}\n{p.legend}\n\n{heads[1]}\n{cons}\n\n{heads[2]}\n{heads[3]}\n{fmt}\n\n"
        f"{heads[4]}\n{_output_sentence('atcoder', p.family.returns, p.answer, variant)}\n\n{ex}\n"
    )


def _lc_example(p: Parts, i: int, e: Example, label: str) -> str:
    out = leetcode_value(e.result)
    return f"{label.format(i=i)}\nInput: {leetcode_example_input(p.family, e.values)}\nOutput: {out}"


def _lc(p: Parts, variant: int) -> str:
    label, cons_head = [
        ("Example {i}:", "Constraints:"),
        ("Example {i}", "Constraints"),
        ("Test case {i}:", "Bounds:"),
    ][variant]
    ex = "\n\n".join(_lc_example(p, i, e, label) for i, e in enumerate(p.examples, 1))
    cons = "\n".join(p.constraints)
    return (
        f"{p.legend} {_output_sentence('leetcode', p.family.returns, p.answer, variant)}\n\n{ex}\n\n"
        f"{cons_head}\n{cons}\n"
    )


FRAMINGS: dict[str, list[Callable[[Parts], str]]] = {
    "codeforces": [_cf0, _cf1, _cf2],
    "atcoder": [lambda p: _ac(p, 0), lambda p: _ac(p, 1), lambda p: _ac(p, 2)],
    "leetcode": [lambda p: _lc(p, 0), lambda p: _lc(p, 1), lambda p: _lc(p, 2)],
}


def framing_indices(style: str, split: str) -> list[int]:
    """Framings a split may use: train gets all but the last ``HOLDOUT_FRAMINGS``."""
    n = len(FRAMINGS[style])
    return list(range(n - HOLDOUT_FRAMINGS)) if split == "train" else list(range(n - HOLDOUT_FRAMINGS, n))


def phrasing_indices(family: Family, split: str) -> list[int]:
    n = len(family.phrasings)
    return list(range(n - family.holdout)) if split == "train" else list(range(n - family.holdout, n))


def render_statement(
    family: Family, style: str, phrasing: int, framing: int, params: dict[str, Any], examples: list[Example]
) -> tuple[str, str]:
    """``(title, statement)`` of one instance."""
    names = display_names(family, style, params)
    title, legend = family.phrasings[phrasing]
    where = f"family {family.name} phrasing {phrasing}"
    parts = Parts(
        family,
        names,
        fill(legend, names, where),
        fill(family.answer, names, f"family {family.name} answer"),
        constraint_lines(family, style, names),
        examples,
    )
    return title, FRAMINGS[style][framing](parts)
