"""Mutants of a program, made with ``ast``: the wrong programs a suite must reject.

Three kinds, each a single small change: *operator* (``+``/``-``, ``*``/``//``, ``<``/``<=``,
``==``/``!=``, ``and``/``or``, augmented assignments), *constant* (an integer ``c`` to ``c + 1`` and
``c - 1``) and *boundary* (``range(a, b)`` to ``range(a, b + 1)`` / ``range(a, b - 1)``, ``x[i]``
to ``x[i - 1]``, ``max``/``min`` swapped). Mutants are listed in a deterministic order and sampled
with a seed, so a rerun makes the same ones; mutants equal to the original text are skipped.
"""

from __future__ import annotations

import ast
import copy
import random
from dataclasses import dataclass

_BINOP_SWAPS: dict[type, list[type]] = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.FloorDiv, ast.Add],
    ast.FloorDiv: [ast.Mult],
    ast.Mod: [ast.FloorDiv],
    ast.Div: [ast.Mult],
    ast.BitAnd: [ast.BitOr],
    ast.BitOr: [ast.BitAnd],
    ast.BitXor: [ast.BitOr],
    ast.LShift: [ast.RShift],
    ast.RShift: [ast.LShift],
}
_CMP_SWAPS: dict[type, list[type]] = {
    ast.Lt: [ast.LtE],
    ast.LtE: [ast.Lt],
    ast.Gt: [ast.GtE],
    ast.GtE: [ast.Gt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
}


@dataclass(frozen=True)
class Mutant:
    kind: str  # operator | constant | boundary
    description: str
    code: str


def _sites(tree: ast.AST) -> list[tuple[str, str, int, object]]:
    """Every mutation site: (kind, description, node index in ast.walk order, replacement spec)."""
    sites: list[tuple[str, str, int, object]] = []
    for i, node in enumerate(ast.walk(tree)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.BinOp, ast.AugAssign)):
            for new in _BINOP_SWAPS.get(type(node.op), []):
                sites.append(("operator", f"line {line}: {type(node.op).__name__} -> {new.__name__}", i, new))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            for new in _CMP_SWAPS.get(type(node.ops[0]), []):
                sites.append(("operator", f"line {line}: {type(node.ops[0]).__name__} -> {new.__name__}", i, new))
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            sites.append(("operator", f"line {line}: {type(node.op).__name__} -> {new.__name__}", i, new))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            for delta in (1, -1):
                sites.append(("constant", f"line {line}: {node.value} -> {node.value + delta}", i, delta))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "range" and 1 <= len(node.args) <= 2 and not node.keywords:
                for delta in (1, -1):
                    sites.append(("boundary", f"line {line}: range end {delta:+d}", i, delta))
            elif node.func.id in ("max", "min"):
                sites.append(
                    (
                        "boundary",
                        f"line {line}: {node.func.id} -> {'min' if node.func.id == 'max' else 'max'}",
                        i,
                        None,
                    )
                )
        elif (
            isinstance(node, ast.Subscript)
            and not isinstance(node.slice, ast.Slice)
            and isinstance(node.ctx, ast.Load)
        ):
            sites.append(("boundary", f"line {line}: index - 1", i, -1))
    return sites


def _apply(tree: ast.AST, index: int, spec: object) -> ast.AST:
    tree = copy.deepcopy(tree)
    node = list(ast.walk(tree))[index]
    if isinstance(node, (ast.BinOp, ast.AugAssign)) or isinstance(node, ast.BoolOp):
        node.op = spec()  # type: ignore[operator]
    elif isinstance(node, ast.Compare):
        node.ops = [spec()]  # type: ignore[operator]
    elif isinstance(node, ast.Constant):
        node.value = node.value + spec  # type: ignore[operator]
    elif isinstance(node, ast.Call) and node.func.id == "range":  # type: ignore[union-attr]
        end = node.args[-1]
        op = ast.Add() if spec == 1 else ast.Sub()
        node.args[-1] = ast.BinOp(left=end, op=op, right=ast.Constant(1))
    elif isinstance(node, ast.Call):
        node.func = ast.Name(id="min" if node.func.id == "max" else "max", ctx=ast.Load())  # type: ignore[union-attr]
    elif isinstance(node, ast.Subscript):
        node.slice = ast.BinOp(left=node.slice, op=ast.Sub(), right=ast.Constant(1))
    return ast.fix_missing_locations(tree)


def make_mutants(code: str, limit: int, seed: int = 0) -> list[Mutant]:
    """Up to ``limit`` distinct single-change mutants of ``code`` (none when it does not parse)."""
    if limit <= 0:
        return []
    try:
        tree = ast.parse(code)
        original = ast.unparse(tree)
    except (SyntaxError, ValueError):
        return []
    sites = _sites(tree)
    random.Random(seed).shuffle(sites)
    out: list[Mutant] = []
    seen = {original}
    for kind, description, index, spec in sites:
        try:
            text = ast.unparse(_apply(tree, index, spec))
        except Exception:  # noqa: BLE001 - a site that cannot be rewritten is skipped
            continue
        if text in seen:
            continue
        seen.add(text)
        out.append(Mutant(kind, description, text + "\n"))
        if len(out) >= limit:
            break
    return out
