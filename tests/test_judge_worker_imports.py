"""The judge worker package imports only the standard library and its one declared pre-import list.

Every judged program is forked from the worker and inherits whatever it imported; the host reaches
into the package only for the framing. Checked statically (every import statement, at module
level or inside functions) and in a started worker (what a judged program finds in sys.modules).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from xcoder.judge import Judge, JudgeConfig
from xcoder.judge.sandbox import WORKER_DIR
from xcoder.judge.worker.prelude import EXTRA_MODULES, PREIMPORTED_MODULES, PRELUDE_MODULES, TEST_RUNNER_MODULES

XCODER = Path(__file__).resolve().parents[1] / "xcoder"
WORKER_FILES = sorted(WORKER_DIR.glob("*.py"))
PRIVATE_NAME = "xcoder_judge_worker"  # what __main__.py loads the package as, inside the sandbox


def _imports(path: Path):
    """(node, top-level module or None for relative, relative module, level) of every import."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name.split(".")[0], None, 0
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                yield node, None, node.module, node.level
            else:
                yield node, node.module.split(".")[0], None, 0


def test_the_worker_package_is_what_the_sandbox_runs():
    assert WORKER_DIR == XCODER / "judge" / "worker"
    assert {p.name for p in WORKER_FILES} >= {
        "__init__.py",
        "__main__.py",
        "protocol.py",
        "prelude.py",
        "zygote.py",
        "child.py",
        "cleanup.py",
    }


@pytest.mark.parametrize("path", WORKER_FILES, ids=lambda p: p.name)
def test_worker_import_statements_are_stdlib_or_its_own_modules(path):
    siblings = {p.stem for p in WORKER_FILES}
    for node, top, relative, level in _imports(path):
        where = f"{path.name}:{node.lineno}"
        if level:
            # Within the package only: never a parent package (the host's code).
            assert level == 1, f"{where}: relative import reaches above the worker package"
            names = [relative] if relative else [a.name for a in node.names]
            assert all(n.split(".")[0] in siblings for n in names), f"{where}: imports {names} from outside"
        else:
            assert top in sys.stdlib_module_names, f"{where}: imports {top!r}, not in the standard library"


@pytest.mark.parametrize("path", WORKER_FILES, ids=lambda p: p.name)
def test_worker_imports_by_name_only_in_the_prelude(path):
    # Dynamic imports are how the worker pre-imports PREIMPORTED_MODULES; anywhere else they
    # would escape the static check above.
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__", "exec_module", "spec_from_file_location"):
                assert (path.name, name) in {
                    ("prelude.py", "import_module"),
                    ("__main__.py", "exec_module"),
                    ("__main__.py", "spec_from_file_location"),
                    ("__main__.py", "import_module"),
                }, f"{path.name}:{node.lineno}: {name}"


def test_declared_preimports_cover_the_prelude():
    assert set(PRELUDE_MODULES) | set(EXTRA_MODULES) | set(TEST_RUNNER_MODULES) | {"builtins", "typing"} == set(
        PREIMPORTED_MODULES
    )


def test_the_host_imports_only_the_protocol_from_the_worker():
    package = "xcoder.judge.worker"
    for path in XCODER.rglob("*.py"):
        if WORKER_DIR in path.parents:
            continue
        here = ".".join(path.relative_to(XCODER.parent).with_suffix("").parts[:-1])  # the file's package
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1]) if node.level else ""
                module = ".".join(filter(None, [base, node.module]))
                names = [f"{module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                if name == package or name.startswith(package + "."):
                    allowed = name == package + ".protocol" or name.startswith(package + ".protocol.")
                    assert allowed, f"{path}:{node.lineno}: imports {name}"
    code = (
        "import json, sys, xcoder.judge, xcoder.judge.cli\n"
        "print(json.dumps([m for m in sys.modules if 'judge.worker' in m]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=XCODER.parent)
    assert sorted(json.loads(out.stdout)) == ["xcoder.judge.worker", "xcoder.judge.worker.protocol"]


def _closure_of_preimports() -> set[str]:
    """Top-level modules a fresh interpreter (run as the worker is) holds after importing the
    declared pre-imports: interpreter start-up (site, .pth hooks) and the pre-imports' own imports."""
    code = (
        "import importlib, json, sys\n"
        f"for m in {list(PREIMPORTED_MODULES)!r}:\n"
        "    try:\n        importlib.import_module(m)\n    except ImportError:\n        pass\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-E", "-s", "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("sandbox", ["auto", "none"])
def test_a_started_worker_holds_only_stdlib_and_declared_preimports(sandbox):
    # What a judged program finds in sys.modules is what the worker had imported when it forked.
    with Judge(JudgeConfig(workers=1, sandbox=sandbox)) as judge:
        [run] = judge.run_outputs("import sys\nprint(sorted(sys.modules))", [""])
    assert run.ok, run
    loaded = set(ast.literal_eval(run.output))
    top = {m.split(".")[0] for m in loaded}
    allowed = set(sys.stdlib_module_names) | _closure_of_preimports() | {"__main__", PRIVATE_NAME}
    assert top - allowed == set(), f"the worker imported modules outside the standard library: {sorted(top - allowed)}"
    # The worker's own code is loaded under its private name, never as part of the host's xcoder.
    assert f"{PRIVATE_NAME}.zygote" in loaded and not any(m == "xcoder" or m.startswith("xcoder.") for m in loaded)
    # And the declared list is not stale: every installed pre-import is there for programs.
    installed = {m for m in PREIMPORTED_MODULES if importlib.util.find_spec(m) is not None}
    assert installed - loaded == set()
