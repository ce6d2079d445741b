"""The rooms' dependency rules, checked on the source: every import statement (module level and inside
functions) of every file of a room, parsed with ``ast``. The core is what every room builds on, so it
imports none of them (only the CLI's front door names their command modules); data generation, rewards
and eval stay independent of each other; the pipeline composes them and nothing imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# room -> rooms it must not import; files exempt from the rule
RULES: dict[str, tuple[set[str], set[str]]] = {
    "data_gen": ({"eval", "rewards", "pipeline"}, set()),
    "xcoder": ({"data_gen", "eval", "rewards", "pipeline"}, {"xcoder/cli.py"}),
    "rewards": ({"data_gen", "eval", "pipeline"}, set()),
    "eval": ({"data_gen", "rewards", "pipeline"}, set()),
}


def imported_roots(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(room: str) -> list[str]:
    forbidden, exempt = RULES[room]
    bad = []
    for path in sorted((ROOT / room).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in exempt:
            continue
        for line, root in imported_roots(path.read_text(encoding="utf-8"), rel):
            if root in forbidden:
                bad.append(f"{rel}:{line} imports {root}")
    return bad


@pytest.mark.parametrize("room", sorted(RULES))
def test_room_imports_follow_the_rules(room):
    assert (ROOT / room).is_dir()
    assert violations(room) == []


def test_the_checker_sees_function_level_imports():
    source = "import os\n\ndef f():\n    from eval.runner import run_eval\n    import rewards.base as rb\n"
    assert imported_roots(source, "x.py") == [(1, "os"), (4, "eval"), (5, "rewards")]
    assert imported_roots("from . import x\nfrom .y import z\n", "x.py") == []
