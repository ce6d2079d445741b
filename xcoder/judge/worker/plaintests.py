"""Plain unit-test files run without a pytest session, outcome for outcome as pytest runs them.

Why: pytest's session (option parsing, configuring ~30 plugins, the fixture manager's scan,
collection) costs about 33 ms of CPU per file, several times what a small sample's tests cost.
Most KodCode files are *plain*: module-level ``def test_*():`` functions without parameters,
decorators, marks, fixtures or setup hooks; the next most common add a literal ``parametrize`` or
a plain ``Test*`` class. For those a session does no more than import the module, call each test
(with its parameters; a method on a fresh instance) in definition order and classify how the call
ended, so this module does just that, with pytest's own pieces wherever they decide something: its
node ids for parameter sets (``IdMaker``, after ``ParameterSet``'s parsing of the mark), its fd-level
capture (``--capture=fd``: fd 0 is ``/dev/null`` and ``sys.stdin`` raises on reads, fds 1 and 2
go to temporary files), its assertion rewriting of the test module, its warning filters per test
(``catch_warnings_for_item``), its outcome exceptions (skip, xfail, fail, exit) and its failure
reports (``--tb=short``). It emits the events ``testfile._Reporter`` emits for the same run (same
node ids, order and outcomes), so the host cannot tell the two apart; ``tests/
test_judge_unittest_plain.py`` holds both paths to the same events on a corpus.

Which files, decided in two steps before any test runs (``source_obstacle``, then
``collection_obstacle`` on the imported module); anything else runs in a pytest session:

* the text: no test function with parameters or decorators, except one
  ``@pytest.mark.parametrize(names, values)`` with literal names, a non-empty list of literal
  values (ints, floats, strings, bools, None, tuples and lists of them), no ``ids``/``indirect``/
  ``scope`` and no ``pytest.param``, on a function taking exactly those names (not ``request``);
  no ``yield`` or ``async`` test, fixture, ``pytestmark``, ``__test__``, ``pytest_*`` name or xunit
  setup/teardown; a module-level ``Test*`` class only without bases, keywords or decorators, its
  body a docstring and undecorated functions (no dunders, xunit or ``pytest_*`` names), the
  ``test*`` ones taking ``self`` alone;
* the module, after import: every attribute pytest would collect (its rules in ``_pytest/python.py``:
  a ``test`` name prefix or ``__test__ = True``; classes named ``Test*`` and ``unittest`` test
  cases) is a plain function, defined in ``test_solution`` (run) or in ``solution`` (excluded, as
  ``_from_solution`` excludes it), with nothing attached to it (no marks), or, defined in
  ``test_solution``, a function whose only attachment is the one ``parametrize`` mark read from
  its source (same arguments, types included; pytest's parsing of it runs as given: every value set
  as long as the names, no duplicate name), or a class of plain type, its only base ``object``, its
  ``__dict__`` plain functions besides what Python puts there; no fixture object, hook name or setup
  function arrived with ``from solution import *``; at least one test remains. Node ids are
  ``IdMaker``'s with no config, which is what the session's ``-c /dev/null`` gives (escaped
  non-ASCII, long strings as name and index, duplicates suffixed); an empty value list, whose skip
  reason varies across pytest versions, goes to the session.

A fallback after the import hands pytest the module already in ``sys.modules``: pytest's default
import mode (prepend) imports ``test_solution`` with ``importlib.import_module``, which returns it,
so the module's top-level code (and the program's) runs once, as in a session, and it was rewritten
as pytest would have. A fallback because the import *raised* removes both modules first: pytest
imports them again and reports the collection error its own way, so a program's top-level code
that fails runs twice (its side effects stay inside the sandboxed child; its time counts twice).

What is not mirrored, none of which decides an outcome: pytest's terminal output on fd 1 (the host
ignores it); the detailed comparison lines pytest adds under a failed ``assert a == b``
(``pytest_assertrepr_compare``; the rewritten message and its ``where`` lines are kept); the
handlers its logging plugin puts on the root logger during a test; captured output kept in memory
for the report (pytest holds it, this discards it per test).
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
import sys
import time
import types
import warnings

SOLUTION = "solution"
TEST_MODULE = "test_solution"
NODE_PREFIX = TEST_MODULE + ".py::"

# Module-level names that give a file behaviour beyond calling its tests: marks for every test,
# turning collection off, plugins, xunit setup/teardown (pytest looks for these on the module),
# hooks such as pytest_generate_tests, and module-level attribute hooks (dir() of the module drives
# the fixture scan).
_SESSION_NAMES = frozenset(
    {
        "pytestmark",
        "__test__",
        "setUpModule",
        "setup_module",
        "tearDownModule",
        "teardown_module",
        "setup_function",
        "teardown_function",
        "setup",
        "teardown",
        "__getattr__",
        "__dir__",
    }
)
# The fields of ``_pytest.python.IdMaker`` (over pytest versions) this runner knows how to fill:
# the names and the parameter sets, the rest None (no ``ids``, no config: its defaults).
_ID_MAKER_FIELDS = frozenset({"argnames", "parametersets", "idfn", "ids", "config", "nodeid", "func_name"})
_LITERAL_TYPES = (int, float, str, bool, type(None))
# In a ``Test*`` class: names pytest or unittest acts on (xunit setup/teardown, marks, hooks), and
# the entries Python itself puts in a class's ``__dict__`` (with the types they have there).
_CLASS_SESSION_NAMES = frozenset(
    {
        "setup_method",
        "teardown_method",
        "setup_class",
        "teardown_class",
        "setup",
        "teardown",
        "setUp",
        "tearDown",
        "setUpClass",
        "tearDownClass",
        "pytestmark",
    }
)
_CLASS_ENTRIES = {
    "__module__": (str,),
    "__qualname__": (str,),
    "__doc__": (str, type(None)),
    "__dict__": (types.GetSetDescriptorType,),
    "__weakref__": (types.GetSetDescriptorType,),
    "__firstlineno__": (int,),
    "__static_attributes__": (tuple,),
}
_NOT_PLAIN_FLAGS = (
    0x04  # CO_VARARGS
    | 0x08  # CO_VARKEYWORDS
    | 0x20  # CO_GENERATOR
    | 0x80  # CO_COROUTINE
    | 0x100  # CO_ITERABLE_COROUTINE
    | 0x200  # CO_ASYNC_GENERATOR
)


class _Internals:
    """The parts of pytest this runner uses, from the worker's pre-imported pytest (the worker
    imports nothing by name outside its declared list)."""

    def __init__(self) -> None:
        modules = sys.modules
        self.capture = modules["_pytest.capture"]
        self.rewrite = modules["_pytest.assertion.rewrite"]
        self.code = modules["_pytest._code"]
        self.outcomes = modules["_pytest.outcomes"]
        self.fixtures = modules["_pytest.fixtures"]
        self.compat = modules["_pytest.compat"]
        self.ignored = modules["_pytest.python"].IGNORED_ATTRIBUTES
        self.filter_traceback = modules["_pytest.python"].filter_traceback
        structures = modules["_pytest.mark.structures"]
        self.mark_type = structures.Mark
        self.parameter_set = structures.ParameterSet
        # (parametrized tests take this path only with these; without them, a session)
        self.id_maker = getattr(modules["_pytest.python"], "IdMaker", None)
        if not (
            hasattr(self.parameter_set, "_parse_parametrize_args")
            and hasattr(self.parameter_set, "_parse_parametrize_parameters")
            and set(getattr(self.id_maker, "__dataclass_fields__", {"?": None})) <= _ID_MAKER_FIELDS
        ):
            self.id_maker = None
        self.return_not_none = modules["_pytest.warning_types"].PytestReturnNotNoneWarning
        self.logging = modules["_pytest.logging"]
        self.version = modules["pytest"].__version__
        # (touch every name used later, so that a pytest without one fails here, before any test)
        for owner, name in (
            (self.capture, "_get_multicapture"),
            (self.rewrite, "rewrite_asserts"),
            (self.code, "ExceptionInfo"),
            (self.code, "Code"),
            (self.outcomes, "Skipped"),
            (self.outcomes, "XFailed"),
            (self.outcomes, "Failed"),
            (self.outcomes, "Exit"),
            (self.fixtures, "getfixturemarker"),
            (self.compat, "safe_getattr"),
            (self.compat, "safe_isclass"),
            (self.logging, "catching_logs"),
            (self.logging, "LogCaptureHandler"),
            (self.logging, "_LiveLoggingNullHandler"),
            (self.logging, "_FileHandler"),
        ):
            getattr(owner, name)


def _internals() -> _Internals | None:
    try:
        return _Internals()
    except (KeyError, AttributeError):
        return None


# -- eligibility ----------------------------------------------------------------------------------


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _yields(fn: ast.FunctionDef) -> bool:
    """Whether the function's own body (not a nested function's) yields: a generator."""
    todo: list[ast.AST] = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def _mentions_fixture(decorator: ast.expr) -> bool:
    return any(
        (isinstance(n, ast.Name) and "fixture" in n.id) or (isinstance(n, ast.Attribute) and "fixture" in n.attr)
        for n in ast.walk(decorator)
    )


def _literal(node: ast.expr) -> bool:
    """An int, float, str, bool or None literal (a number possibly signed), or a tuple or list
    literal of those, nested or not: what ``ast.literal_eval`` gives back as such."""
    if isinstance(node, ast.Constant):
        return type(node.value) in _LITERAL_TYPES
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(map(_literal, node.elts))
    return False


def _is_parametrize(func: ast.expr) -> bool:
    """``pytest.mark.parametrize`` or ``mark.parametrize`` (what it is is checked after import)."""
    if not (isinstance(func, ast.Attribute) and func.attr == "parametrize"):
        return False
    owner = func.value
    if isinstance(owner, ast.Name):
        return owner.id == "mark"
    return isinstance(owner, ast.Attribute) and owner.attr == "mark" and isinstance(owner.value, ast.Name)


def _parametrize_source(node: ast.FunctionDef) -> tuple | str:
    """A test function's one decorator when it is ``@pytest.mark.parametrize(argnames, argvalues)``
    with literal names and a non-empty literal list of values, no options, and the function takes
    exactly those names: ``(argnames, argvalues)`` as ``ast.literal_eval`` gives them; else why not."""
    why = f"decorated test {node.name}"
    if len(node.decorator_list) != 1:
        return why
    deco = node.decorator_list[0]
    if not (isinstance(deco, ast.Call) and _is_parametrize(deco.func)):
        return why
    if deco.keywords or len(deco.args) != 2:
        return f"test {node.name}: parametrize with options"
    names, values = deco.args
    if isinstance(names, ast.Constant) and type(names.value) is str:
        argnames = [n.strip() for n in names.value.split(",") if n.strip()]
    elif isinstance(names, (ast.Tuple, ast.List)) and all(
        isinstance(n, ast.Constant) and type(n.value) is str for n in names.elts
    ):
        argnames = [n.value for n in names.elts]
    else:
        return f"test {node.name}: parametrize names not a literal"
    if not (isinstance(values, (ast.List, ast.Tuple)) and values.elts and all(map(_literal, values.elts))):
        return f"test {node.name}: parametrize values not a non-empty list of literals"
    a = node.args
    params = [p.arg for p in a.args]
    if a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults:
        return f"test {node.name} takes other arguments than its parameters"
    if sorted(params) != sorted(argnames) or len(set(params)) != len(params) or "request" in params:
        return f"test {node.name} takes other arguments than its parameters"
    return ast.literal_eval(names), ast.literal_eval(values)


def _class_source(node: ast.ClassDef) -> str | None:
    """Why pytest would do more with a ``Test*`` class than make an instance per test method and
    call the method: anything but a class without bases, keywords or decorators whose body is
    undecorated functions (and a docstring), its ``test*`` ones taking ``self`` alone; or None."""
    why = f"test class {node.name}"
    if node.bases or node.keywords or node.decorator_list:
        return why
    for i, item in enumerate(node.body):
        if i == 0 and isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant):
            continue  # (the docstring)
        if not isinstance(item, ast.FunctionDef) or item.decorator_list:
            return why
        name = item.name
        if name in _CLASS_SESSION_NAMES or name.startswith(("__", "pytest_")):
            return f"{why}: method {name}"
        if name.startswith("test"):
            a = item.args
            if a.posonlyargs or len(a.args) != 1 or a.vararg or a.kwonlyargs or a.kwarg or a.defaults:
                return f"{why}: test {name} takes arguments (fixtures or parameters)"
            if _yields(item):
                return f"{why}: test {name} is a generator"
    return None


def source_obstacle(tree: ast.Module) -> str | dict[int, tuple]:
    """Why the test module needs a pytest session, judged from its syntax tree alone (before any
    code runs); or, when it looks plain, its parametrized test functions: ``{line of the decorator
    (the function's first line): (name, (argnames, argvalues))}``."""
    parametrized: dict[int, tuple] = {}
    for node in tree.body:
        for name in _bound_names(node):
            if name in _SESSION_NAMES or name.startswith("pytest_"):
                return f"module-level name {name!r}"
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            why = _class_source(node)
            if why is not None:
                return why
        if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("test"):
            return f"async test {node.name}"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            _mentions_fixture(d) for d in node.decorator_list
        ):
            return f"fixture {node.name}"
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            a = node.args
            if node.decorator_list:
                mark = _parametrize_source(node)
                if isinstance(mark, str):
                    return mark
                parametrized[node.decorator_list[0].lineno] = (node.name, mark)
            elif a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg:
                return f"test {node.name} takes arguments (fixtures or parameters)"
            if _yields(node):
                return f"test {node.name} is a generator"
    return parametrized


def _same(a: object, b: object) -> bool:
    """Equal and of the same types throughout (``True`` is not ``1``), for literal values."""
    if type(a) is not type(b):
        return False
    if type(a) in (tuple, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _calls(name: str, fn: object, parametrized: dict[int, tuple], pt: _Internals) -> list[tuple[str, dict]] | str:
    """The calls pytest makes of the test function collected as ``name``: ``[(node id, keyword
    arguments)]``, one for a plain function (no arguments, nothing attached: marks, ``__test__``,
    ``__wrapped__``; not a generator or coroutine), one per parameter set for a function whose only
    attachment is the one ``parametrize`` mark its source was seen to carry (``parametrized``, by
    first line); or why pytest would do more than call it."""
    why = f"{name} is not a plain test function"
    if type(fn) is not types.FunctionType:
        return why
    code = fn.__code__
    if code.co_flags & _NOT_PLAIN_FLAGS or code.co_kwonlyargcount or code.co_posonlyargcount:
        return why
    if not fn.__dict__:
        return why if code.co_argcount else [(NODE_PREFIX + name, {})]
    seen = parametrized.get(code.co_firstlineno)
    marks = fn.__dict__.get("pytestmark")
    if (
        seen is None
        or seen[0] != fn.__name__
        or pt.id_maker is None
        or fn.__dict__.keys() != {"pytestmark"}
        or type(marks) is not list
        or len(marks) != 1
        or fn.__defaults__
        or fn.__kwdefaults__
    ):
        return why
    mark = marks[0]
    if (
        type(mark) is not pt.mark_type
        or mark.name != "parametrize"
        or mark.kwargs
        or not _same(mark.args, seen[1])
        or getattr(mark, "_param_ids_from", None) is not None
        or getattr(mark, "_param_ids_generated", None) is not None
    ):
        return f"{name} carries another mark than the parametrize seen in its source"
    # What Metafunc.parametrize makes of the mark (pytest's own parsing and ids; this runner never
    # passes a config, whose defaults are what the session's ``-c /dev/null`` gives).
    try:
        argnames, force_tuple = pt.parameter_set._parse_parametrize_args(*mark.args)
        sets = pt.parameter_set._parse_parametrize_parameters(mark.args[1], force_tuple)
        if not sets or any(s.marks or s.id is not None or len(s.values) != len(argnames) for s in sets):
            return f"{name}: parameter sets pytest would not run as given"
        fields = pt.id_maker.__dataclass_fields__
        maker = pt.id_maker(**{**dict.fromkeys(fields), "argnames": argnames, "parametersets": sets})
        ids = maker.make_unique_parameterset_ids()
    except (Exception, pt.outcomes.Failed):  # noqa: BLE001 - pytest would report it its own way
        return f"{name}: pytest could not parametrize it here"
    params = code.co_varnames[: code.co_argcount]
    if (
        len(set(argnames)) != len(argnames)
        or sorted(argnames) != sorted(params)
        or "request" in argnames
        or len(ids) != len(sets)
        or any(type(i) is not str for i in ids)
    ):
        return f"{name}: its arguments are not exactly its parameters"
    return [(f"{NODE_PREFIX}{name}[{i}]", dict(zip(argnames, s.values, strict=True))) for i, s in zip(ids, sets)]


def _class_calls(name: str, cls: type, module: types.ModuleType, path: str) -> list[tuple] | str:
    """The tests pytest makes of the plain ``Test*`` class collected as ``name``, in its
    ``__dict__`` order: ``[(node id, method bound to its own instance, {})]``; each instance made
    now, as pytest makes them at collection (``object``'s constructor: no code of the file runs);
    or why pytest would do more (bases, a metaclass, anything but plain functions in it)."""
    why = f"test class {name}"
    if type(cls) is not type or cls.__bases__ != (object,) or cls.__module__ != module.__name__:
        return why
    calls = []
    for attr, value in cls.__dict__.items():
        kinds = _CLASS_ENTRIES.get(attr)
        if kinds is not None:
            if type(value) not in kinds:
                return f"{why}: its {attr}"
            continue
        if attr in _CLASS_SESSION_NAMES or attr.startswith(("__", "pytest_")):
            return f"{why}: method {attr}"
        if type(value) is not types.FunctionType or value.__dict__ or value.__code__.co_filename != path:
            return f"{why}: {attr} is not a plain function"
        if not attr.startswith("test"):
            continue
        code = value.__code__
        if (
            code.co_argcount != 1
            or code.co_posonlyargcount
            or code.co_kwonlyargcount
            or code.co_flags & _NOT_PLAIN_FLAGS
            or value.__defaults__
        ):
            return f"{why}: {attr} is not a plain test method"
        calls.append((f"{NODE_PREFIX}{name}::{attr}", getattr(cls(), attr), {}))
    return calls


def collection_obstacle(
    module: types.ModuleType, path: str, pt: _Internals, parametrized: dict[int, tuple] | None = None
) -> tuple[list, list[str]] | str:
    """What pytest would collect from the imported module, in its order (the module's ``__dict__``
    order): ``(tests, excluded node ids)`` with each test ``(node id, function or bound method,
    keyword arguments)``; or why a session is needed (something pytest would collect that is not a
    plain function, a plainly parametrized one (``parametrized``, from ``source_obstacle``) or a
    plain ``Test*`` class; a fixture, a hook)."""
    safe_getattr, safe_isclass = pt.compat.safe_getattr, pt.compat.safe_isclass
    unittest = sys.modules.get("unittest")
    if not isinstance(module, types.ModuleType) or getattr(module, "__file__", None) != path:
        return "the test module replaced itself in sys.modules"
    tests: list[tuple[str, types.FunctionType | types.MethodType, dict]] = []
    excluded: list[str] = []
    for name, obj in list(module.__dict__.items()):
        if name in _SESSION_NAMES or name.startswith("pytest_"):
            return f"module-level name {name!r}"
        if name in pt.ignored:
            continue
        if pt.fixtures.getfixturemarker(obj) is not None:
            return f"fixture {name}"
        nose = safe_getattr(obj, "__test__", False) is True
        if safe_isclass(obj):
            try:
                case = unittest is not None and issubclass(obj, unittest.TestCase)
            except Exception:  # noqa: BLE001 - a class whose subclass check fails: let pytest decide
                case = True
            if not (name.startswith("Test") or nose or case):
                continue
            if nose or case:
                return f"test class {name}"
            calls = _class_calls(name, obj, module, path)
            if isinstance(calls, str):
                return calls
            tests.extend(calls)
            continue
        if not (name.startswith("test") or nose):
            continue
        if isinstance(obj, (staticmethod, classmethod)):
            return f"{name} is a {type(obj).__name__}"
        if not callable(obj):
            continue  # pytest collects only callables (test data named test_* is common)
        owner = getattr(obj, "__module__", None)
        ours = owner == module.__name__ and getattr(getattr(obj, "__code__", None), "co_filename", None) == path
        calls = _calls(name, obj, (parametrized or {}) if ours else {}, pt)
        if isinstance(calls, str):
            return calls
        if owner == SOLUTION:
            excluded.extend(nodeid for nodeid, _ in calls)
        elif owner == module.__name__:
            tests.extend((nodeid, obj, kwargs) for nodeid, kwargs in calls)
        else:
            return f"{name} comes from module {owner!r}"
    if not tests:
        return "no test of its own to run"
    return tests, excluded


# -- running --------------------------------------------------------------------------------------


def _import_test_module(path: str, source: bytes, tree: ast.Module, pt: _Internals) -> types.ModuleType:
    """Import ``test_solution`` as pytest does (from the scratch directory, first on ``sys.path``):
    its asserts rewritten, executed in a module registered in ``sys.modules`` first."""
    pt.rewrite.rewrite_asserts(tree, source, path, None)
    code = compile(tree, path, "exec", dont_inherit=True)
    spec = importlib.machinery.ModuleSpec(
        TEST_MODULE, importlib.machinery.SourceFileLoader(TEST_MODULE, path), origin=path
    )
    spec.has_location = True
    module = importlib.util.module_from_spec(spec)
    sys.modules[TEST_MODULE] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        sys.modules.pop(TEST_MODULE, None)
        raise
    return sys.modules.get(TEST_MODULE, module)


class _SessionLogging:
    """The handlers pytest's logging plugin keeps on the root logger through collection and the
    tests (live logging off, the log file ``/dev/null``): with them, ``logging.basicConfig`` does
    nothing and records do not reach ``logging.lastResort``, as in a session."""

    def __init__(self, pt: _Internals) -> None:
        self.pt = pt
        self.stack: list = []

    def __enter__(self) -> _SessionLogging:
        log = self.pt.logging
        for handler in (log._LiveLoggingNullHandler(), log._FileHandler(os.devnull, mode="w", encoding="UTF-8")):
            self.stack.append(log.catching_logs(handler, level=None))
            self.stack[-1].__enter__()
        return self

    def __exit__(self, *exc) -> None:
        while self.stack:
            handler = self.stack[-1].handler
            self.stack.pop().__exit__(*exc)
            handler.close()


class _TestLogging(_SessionLogging):
    """And the two capturing handlers it adds around each test (``caplog``'s and the report's)."""

    def __enter__(self) -> _TestLogging:
        log = self.pt.logging
        for _ in range(2):
            self.stack.append(log.catching_logs(log.LogCaptureHandler(), level=None))
            self.stack[-1].__enter__()
        return self


class _Warnings:
    """``warnings.catch_warnings`` with the filters pytest's configuration applies around the
    session, collection and each test (``Config._catch_configured_warnings``, no ini file, no -W)."""

    def __init__(self, record: bool) -> None:
        self.inner = warnings.catch_warnings(record=record)

    def __enter__(self):
        log = self.inner.__enter__()
        if not sys.warnoptions:
            warnings.filterwarnings("always", category=DeprecationWarning)
            warnings.filterwarnings("always", category=PendingDeprecationWarning)
        return log

    def __exit__(self, *exc) -> None:
        self.inner.__exit__(*exc)


def report_text(value, limit: int = 3000) -> str:
    """``str(value)`` cut to its last ``limit`` characters; a repr the program broke is named so."""
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a repr the program broke
        text = "<unprintable failure report>"
    return text if len(text) <= limit else "..." + text[-limit:]


def _failure_repr(excinfo, fn, pt: _Internals) -> str:
    """pytest's ``--tb=short`` report of a failed call (``Function.repr_failure``): the traceback
    cut to start at the test function, hidden frames dropped."""

    def cut(info):
        code = pt.code.Code.from_function(fn)
        traceback = info.traceback
        shorter = traceback.cut(path=code.path, firstlineno=code.firstlineno)
        if shorter == traceback:
            shorter = shorter.cut(path=code.path)
            if shorter == traceback:
                shorter = shorter.filter(pt.filter_traceback) or traceback
        return shorter.filter(info)

    style = "value" if isinstance(excinfo.value, pt.outcomes.Failed) and not excinfo.value.pytrace else "short"
    try:
        return report_text(excinfo.getrepr(funcargs=True, abspath=False, style=style, tbfilter=cut))
    except Exception:  # noqa: BLE001 - a report pytest could not build: the exception alone
        return report_text(f"{type(excinfo.value).__name__}: {excinfo.value}")


def program_made_outcome(exc: BaseException) -> bool:
    """Whether ``exc`` is a skip or an expected failure (``pytest.skip``/``pytest.xfail``,
    ``unittest.SkipTest``, a group of skips) raised while the program's own code ran. pytest would
    count such a test as not failed, so a program could pass any test by raising one; both runners
    report it as failed instead. (An ordinary exception under an ``xfail`` mark stays the test
    author's expected failure.)"""
    outcomes, unittest = sys.modules.get("_pytest.outcomes"), sys.modules.get("unittest")
    kinds = tuple(
        k
        for k in (
            getattr(outcomes, "Skipped", None),
            getattr(outcomes, "XFailed", None),
            getattr(unittest, "SkipTest", None),
        )
        if k is not None
    )
    if not kinds:
        return False
    if isinstance(exc, BaseExceptionGroup):
        matched, rest = exc.split(kinds)
        return rest is None and matched is not None and any(map(_through_program, [exc, *exc.exceptions]))
    return isinstance(exc, kinds) and _through_program(exc)


def _through_program(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if os.path.basename(tb.tb_frame.f_code.co_filename) == SOLUTION + ".py":
            return True
        tb = tb.tb_next
    return False


def _skip_report(excinfo, pt: _Internals) -> tuple[str, str] | None:
    """(where, reason) when the exception makes pytest report a skip: ``pytest.skip`` (or
    ``unittest.SkipTest``, which pytest turns into one raised from its own code), or an exception
    group of skips; None otherwise."""
    value = excinfo.value
    Skipped = pt.outcomes.Skipped
    unittest = sys.modules.get("unittest")
    if unittest is not None and isinstance(value, unittest.SkipTest):
        return pt.outcomes.__file__, f"Skipped: {value}"
    if isinstance(value, Skipped):
        crash = excinfo._getreprcrash()
        return (str(crash.path), crash.message) if crash is not None else ("", str(value))
    if isinstance(value, BaseExceptionGroup) and value.split(Skipped)[1] is None:
        crash = excinfo._getreprcrash()
        reasons: list[str] = []
        for exc in value.exceptions:
            reason = getattr(exc, "msg", None) or (exc.args[0] if exc.args else None)
            if reason and reason not in reasons:
                reasons.append(reason)
        where = str(crash.path) if crash is not None else ""
        return where, "; ".join(reasons) if reasons else (crash.message if crash is not None else "skipped")
    return None


def _capture_failure(exc: BaseException, when: str, pt: _Internals) -> dict:
    """A test's result when pytest's capture failed around it (a program closed ``sys.stdout``):
    reading the capture fails the call, and resuming it errors every later test's setup."""
    try:
        text = report_text(pt.code.ExceptionInfo.from_exception(exc).getrepr(style="short"))
    except Exception:  # noqa: BLE001
        text = report_text(f"{type(exc).__name__}: {exc}")
    outcome = "failed" if when == "call" else "error"
    return {"outcome": outcome, "duration": 0.0, "message": f"{when}: {text}", "exception": type(exc).__name__}


class _Stop(Exception):
    """The session ends: ``pytest.exit`` or KeyboardInterrupt in a test (pytest re-raises both)."""

    def __init__(self, status: int) -> None:
        self.status = status


def _call(nodeid: str, fn: types.FunctionType | types.MethodType, kwargs: dict, pt: _Internals) -> tuple[dict, bool]:
    """Run one test as pytest's protocol does for a plain function, called with its parameters'
    values as keywords (its setup only hands those over, its teardown does nothing); returns its
    ``result`` event fields and whether pytest counts it as failed."""
    os.environ["PYTEST_CURRENT_TEST"] = f"{nodeid} (call)".replace("\x00", "(null)")
    for name in ("last_type", "last_value", "last_traceback"):
        sys.__dict__.pop(name, None)
    state = {"outcome": "passed", "duration": 0.0, "message": "", "exception": ""}
    failed = False
    with _Warnings(record=True), _TestLogging(pt):
        start = time.perf_counter()
        try:
            result = fn(**kwargs)
            if hasattr(result, "__await__") or hasattr(result, "__aiter__"):
                pt.outcomes.fail("async def functions are not natively supported.", pytrace=False)
            elif result is not None:
                warnings.warn(
                    pt.return_not_none(
                        f"Test functions should return None, but {nodeid} returned {type(result)!r}.\n"
                        "Did you mean to use `assert` instead of `return`?\n"
                        "See https://docs.pytest.org/en/stable/how-to/assert.html#return-not-none for more "
                        "information."
                    ),
                    stacklevel=1,  # (as pytest warns it)
                )
        except BaseException as exc:
            state["duration"] = time.perf_counter() - start
            if isinstance(exc, (pt.outcomes.Exit, KeyboardInterrupt)):
                code = getattr(exc, "returncode", None)
                raise _Stop(2 if code is None else int(code)) from None
            if isinstance(exc, Exception):  # (as pytest_runtest_call leaves them, for post-mortems)
                sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__.tb_next
            excinfo = pt.code.ExceptionInfo.from_exception(exc)
            skip = _skip_report(excinfo, pt)
            if skip is not None:
                where, reason = skip
                if os.path.basename(where) == SOLUTION + ".py" or program_made_outcome(exc):
                    message = f"the program skipped the test: {report_text(reason)}"
                    state.update(outcome="failed", exception="Skipped", message=message)
                else:
                    state.update(outcome="skipped", message=report_text(reason))
            elif isinstance(exc, pt.outcomes.XFailed):
                if program_made_outcome(exc):
                    reason = report_text(getattr(exc, "msg", None) or str(exc))
                    message = f"the program marked the test an expected failure: {reason}"
                    state.update(outcome="failed", exception="XFailed", message=message)
                else:
                    state.update(outcome="xfailed", message=_failure_repr(excinfo, fn, pt))
            else:
                failed = True
                message = "call: " + _failure_repr(excinfo, fn, pt)
                state.update(outcome="failed", exception=type(exc).__name__, message=message)
            del exc, excinfo
        else:
            state["duration"] = time.perf_counter() - start
    os.environ.pop("PYTEST_CURRENT_TEST", None)
    return state, failed


def run(test_path: str, exitfirst: bool, emit, report: dict, pt: _Internals | None = None) -> str | None:
    """Run the plain test module at ``test_path`` (``test_solution.py``, beside ``solution.py``).

    Returns None when it ran here (events emitted, ``report["pytest_exit"]`` set as pytest would),
    or why it must run in a pytest session instead, in which case no test has started."""
    pt = pt or _internals()
    if pt is None:
        return "this pytest lacks what the plain runner uses"
    if os.environ.get("PYTEST_ADDOPTS"):
        return "PYTEST_ADDOPTS is set"
    with open(test_path, "rb") as fh:
        source = fh.read()
    try:
        tree = ast.parse(source, filename=test_path)
    except (SyntaxError, ValueError):
        return "the test module does not parse"
    parametrized = source_obstacle(tree)
    if isinstance(parametrized, str):
        return parametrized
    capture = pt.capture._get_multicapture("fd")
    capture.start_capturing()
    os.environ["PYTEST_VERSION"] = pt.version  # (what pytest.main sets for the session)
    try:
        with _Warnings(record=False), _SessionLogging(pt):  # the session's
            try:
                with _Warnings(record=True):  # collection's
                    module = _import_test_module(test_path, source, tree, pt)
            except BaseException:  # pytest imports it again and reports how it failed
                for name in (TEST_MODULE, SOLUTION):
                    sys.modules.pop(name, None)
                return "importing the test module raised"
            try:
                capture.readouterr()
            except Exception:  # noqa: BLE001 - its top-level code broke the capture: pytest's way, from scratch
                for name in (TEST_MODULE, SOLUTION):
                    sys.modules.pop(name, None)
                return "importing the test module broke the output capture"
            plan = collection_obstacle(module, test_path, pt, parametrized)
            if isinstance(plan, str):
                return plan  # (the module stays imported: pytest takes it from sys.modules)
            tests, excluded = plan
            if excluded:
                emit({"event": "excluded", "nodeids": excluded})
            emit({"event": "collected", "nodeids": [nodeid for nodeid, *_ in tests]})
            status = 0
            broken: BaseException | None = None  # what a test did to the capture (closed sys.stdout...)
            for nodeid, fn, kwargs in tests:
                emit({"event": "start", "nodeid": nodeid})
                if broken is not None:  # pytest cannot resume capturing: the test's setup errors
                    state, failed = _capture_failure(broken, "setup", pt), True
                else:
                    try:
                        state, failed = _call(nodeid, fn, kwargs, pt)
                    except _Stop as stop:
                        os.environ.pop("PYTEST_CURRENT_TEST", None)
                        status = stop.status
                        break
                    try:
                        capture.readouterr()  # (pytest reads and empties the capture after each phase)
                    except Exception as exc:  # noqa: BLE001 - the call fails as in pytest, on reading it
                        broken = exc
                        if not failed:
                            state, failed = {**_capture_failure(exc, "call", pt), "duration": state["duration"]}, True
                emit({"event": "result", "nodeid": nodeid, **state})
                if failed:
                    status = 1
                    if exitfirst:
                        break
            report["pytest_exit"] = status
            return None
    finally:
        os.environ.pop("PYTEST_VERSION", None)
        capture.stop_capturing()
