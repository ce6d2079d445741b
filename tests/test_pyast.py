"""``xcoder.pyast.parse``: threads parsing at once all get their own, correct trees (CPython 3.11 can
raise ``SystemError: AST constructor recursion depth mismatch`` when ``ast.parse`` runs concurrently)."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor

from xcoder.pyast import parse


def _program(i: int) -> str:
    nested = "(" * 30 + str(i) + ")" * 30
    return f"def f{i}(x):\n    return [{nested} + y for y in range(x) if y % 2]\nprint(f{i}(int(input())))\n"


def test_concurrent_parses_give_the_right_trees():
    sources = [_program(i) for i in range(400)]
    with ThreadPoolExecutor(8) as pool:
        trees = list(pool.map(parse, sources))
    for i, tree in enumerate(trees):
        assert ast.dump(tree) == ast.dump(ast.parse(sources[i]))
        assert tree.body[0].name == f"f{i}"
