"""The import prelude judged programs run with, and the modules the worker imports for them.

``PREIMPORTED_MODULES`` is the one declared list of what the worker imports on behalf of judged
programs; everything else the worker package imports is standard library
(``tests/test_judge_worker_imports.py`` holds it to that).
"""

from __future__ import annotations

# The import prelude LiveCodeBench's judge gives every program: star imports of these modules,
# then the builtins again (so e.g. math's float ``pow`` does not shadow the builtin), then typing.

PRELUDE_MODULES = (
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
    "statistics", "itertools", "functools", "operator", "io", "sys", "json",
)
EXTRA_MODULES = ("sortedcontainers",)  # offered by LeetCode; imported if installed
# The one declared list of the modules the worker imports for judged programs (``build_prelude``
# imports them all): the worker package's only imports outside the standard library. A test holds
# a started worker to it both ways, so a module added here must also be imported, and vice versa.
PREIMPORTED_MODULES = ("builtins", "typing", *PRELUDE_MODULES, *EXTRA_MODULES)


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
