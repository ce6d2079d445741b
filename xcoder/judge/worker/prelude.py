"""The import prelude judged programs run with, and the modules the worker imports for them.

``PREIMPORTED_MODULES`` is the one declared list of what the worker imports on behalf of judged
programs; everything else the worker package imports is standard library
(``tests/test_judge_worker_imports.py`` holds it to that).
"""

from __future__ import annotations

# The import prelude LiveCodeBench's judge gives every program: star imports of PRELUDE_MODULES
# (one list, in protocol.py, shared with the host), then the builtins again (so e.g. math's float
# ``pow`` does not shadow the builtin), then typing.
from .protocol import PRELUDE_MODULES

EXTRA_MODULES = ("sortedcontainers",)  # offered by LeetCode; imported if installed
# What runs unit-test problems (``testfile.py``), imported if installed: a warm pytest makes a
# test file cost a pytest session instead of an interpreter start plus pytest's ~0.3 s import.
TEST_RUNNER_MODULES = ("pytest",)
# The one declared list of the modules the worker imports for judged programs (``build_prelude``
# and ``preimport_test_runner`` import them all): the worker package's only imports outside the
# standard library. A test holds a started worker to it both ways, so a module added here must
# also be imported, and vice versa.
PREIMPORTED_MODULES = ("builtins", "typing", *PRELUDE_MODULES, *EXTRA_MODULES, *TEST_RUNNER_MODULES)


def _star_names(module) -> dict:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return {n: getattr(module, n) for n in names if hasattr(module, n)}


def build_prelude() -> dict:
    """The builtins mapping judged code runs with: the real builtins plus the prelude's names.

    Serving the prelude as ``__builtins__`` instead of copying it into each program's globals
    saves touching ~1,500 objects (and their copy-on-write pages) in every forked child.
    """
    import builtins
    import importlib
    import typing

    ns: dict = dict(vars(builtins))
    modules = [importlib.import_module(m) for m in PRELUDE_MODULES]
    for mod in modules:
        ns.update(_star_names(mod))
    ns.update(_star_names(builtins))
    ns.update(_star_names(typing))
    for mod in modules:
        ns[mod.__name__] = mod
    for name in EXTRA_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        ns[name] = mod
        ns.update(_star_names(mod))
    return ns


def preimport_test_runner() -> bool:
    """Import pytest and the plugins every pytest session loads, so that forked children start
    sessions warm. False when pytest is not installed (unit-test problems then fail as a judge
    error that says so)."""
    import importlib

    try:
        for name in TEST_RUNNER_MODULES:
            importlib.import_module(name)
        plugins = importlib.import_module("_pytest.config").default_plugins
    except ImportError:
        return False
    for name in [*("_pytest." + p for p in plugins), *_SESSION_IMPORTS]:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    return True


# What a pytest session imports on its own when it starts (its debugging and faulthandler
# plugins); warm here so each forked session does not import them again.
_SESSION_IMPORTS = ("_pytest._argcomplete", "pdb", "faulthandler", "code", "codeop", "cmd")
