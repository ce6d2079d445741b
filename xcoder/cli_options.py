"""Command-line options derived from a config dataclass, so a setting is declared once.

A config's fields carry their help through :func:`xcoder.config.help_field`; :func:`config_options`
turns them into typer options and hands the command the built config:

* one option per field, spelled ``--field-name`` (underscores become dashes);
* ``bool`` fields are ``--x/--no-x``; ``Optional[T]`` fields take a ``T``; ``Literal`` fields a choice;
* list and tuple fields are given by **repeating** the flag (``--platform leetcode --platform atcoder``);
* ``dict`` fields take a JSON object (``--chat-template-kwargs '{"enable_thinking": true}'``);
* nested dataclass fields are **flattened** with their section name as a dashed prefix
  (``judge.timeout`` -> ``--judge-timeout``); ``prefixes`` changes or drops a section's prefix and
  ``names`` gives any key its own spelling (``{"dataset.platforms": "--platform"}``);
* with ``config_file=True`` the command also takes ``--config/-c FILE.yaml`` (the config's own
  structure); flags the user actually typed override the file's values, defaults never do.

Everything is validated by :func:`xcoder.config.build`, so a bad value names its key
(``sampling: n must be >= 1, got 0``); such errors, and a missing required field (which names its
flag), end the command through :mod:`xcoder.cli_errors` (one line, exit 2).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

from xcoder.cli_errors import UserError, user_errors
from xcoder.config import ConfigError, apply_overrides, build, field_help, read_yaml

T = TypeVar("T")

CONFIG_FILE_PARAM = "config_file"
CONTEXT_PARAM = "_cli_context"  # added when the command takes no typer.Context of its own
EXPLICIT_SOURCES = ("COMMANDLINE", "ENVIRONMENT")  # click's ParameterSource names: the user gave it


@dataclass(frozen=True)
class Flag:
    """One command-line option and the config key it sets."""

    key: str  # dotted config key, e.g. "sampling.top_p"
    decls: tuple[str, ...]  # "--top-p", or "--x/--no-x" for a bool
    cli_type: Any  # the annotation typer sees
    default: Any  # shown in --help; None for a required field
    help: str
    required: bool
    is_json: bool = False

    @property
    def dest(self) -> str:
        """The Python parameter name (unique, since keys are)."""
        return self.key.replace(".", "__")

    @property
    def name(self) -> str:
        """The main spelling, for messages: ``--top-p``."""
        return self.decls[0].split("/")[0]


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(args) < len(typing.get_args(hint)):
            return args[0], True
    return hint, False


def _cli_type(hint: Any, key: str) -> tuple[Any, bool]:
    """The annotation typer gets for a field's type, and whether the value is JSON text."""
    inner, optional = _unwrap_optional(hint)
    origin = typing.get_origin(inner)
    if inner in (bool, int, float, str) or origin is typing.Literal:
        return (inner | None if optional else inner), False
    if origin in (list, tuple):
        args = [a for a in typing.get_args(inner) if a is not Ellipsis]
        item = args[0] if len(args) == 1 else str
        if item not in (int, float, str) and typing.get_origin(item) is not typing.Literal:
            raise TypeError(f"{key}: no command-line form for {hint!r}; skip it")
        return list[item], False
    if origin is dict or inner is dict:
        return str | None, True
    raise TypeError(f"{key}: no command-line form for {hint!r}; skip it or give it a simpler type")


def _default(f: dataclasses.Field) -> tuple[Any, bool]:
    """(default, required) of a field."""
    if f.default is not MISSING:
        return f.default, False
    if f.default_factory is not MISSING:
        return f.default_factory(), False
    return None, True


def derive_flags(
    cls: type,
    prefixes: Mapping[str, str] | None = None,
    names: Mapping[str, str | Sequence[str]] | None = None,
    skip: Iterable[str] = (),
) -> list[Flag]:
    """The flags of config ``cls`` (see the module docstring for the spelling rules). ``prefixes``
    maps a section key (``"judge"``) to its prefix (``""`` for none); ``names`` a key to its own
    option declaration(s); ``skip`` lists keys (or whole sections) left off the command line."""
    prefixes, names, skipped = dict(prefixes or {}), dict(names or {}), set(skip)
    flags: list[Flag] = []

    def walk(section: type, path: str, prefix: str, parent_required: bool) -> None:
        hints = typing.get_type_hints(section)
        for f in dataclasses.fields(section):
            key = f"{path}{f.name}"
            if not f.init or key in skipped:
                continue
            default, required = _default(f)
            hint = hints[f.name]
            if dataclasses.is_dataclass(hint):
                sub = prefixes.get(key, prefix + f.name.replace("_", "-") + "-")
                walk(hint, key + ".", sub, required)
                continue
            default = list(default) if isinstance(default, tuple) else default
            if isinstance(default, dict):
                default = json.dumps(default) if default else None
            cli_type, is_json = _cli_type(hint, key)
            given = names.get(key)
            if given is None:
                base = prefix + f.name.replace("_", "-")
                decls: tuple[str, ...] = (f"--{base}/--no-{base}",) if cli_type is bool else (f"--{base}",)
            else:
                decls = (given,) if isinstance(given, str) else tuple(given)
            flags.append(Flag(key, decls, cli_type, default, field_help(f), required, is_json))

    walk(cls, "", "", False)
    seen: dict[str, str] = {}
    for flag in flags:
        for decl in flag.decls:
            for spelling in decl.split("/"):
                if spelling in seen:
                    raise ValueError(f"{spelling} would set both {seen[spelling]} and {flag.key}; rename one")
                seen[spelling] = flag.key
    return flags


def _parse_json(flag: Flag, text: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(f"{flag.name} is not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise UserError(f"{flag.name} must be a JSON object, got {text!r}")
    return value


def _check_required(
    cls: type, data: Mapping[str, Any], flags: Sequence[Flag], config_file: bool, path: str = ""
) -> None:
    """A missing required field is named by its flag (and its key, where a config file is taken)."""
    by_key = {flag.key: flag for flag in flags}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{path}{f.name}"
        if dataclasses.is_dataclass(hints[f.name]):
            sub = data.get(f.name, {})
            if isinstance(sub, Mapping) and (_default(f)[1] or f.name in data):
                _check_required(hints[f.name], sub, flags, config_file, key + ".")
        elif f.init and _default(f)[1] and f.name not in data:
            flag = by_key.get(key)
            what = f"{flag.name} is required" if flag else f"{key} is required"
            raise UserError(what + (f" (or {key} in the --config file)" if config_file and flag else ""))


def load_config(
    cls: type[T],
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    flags: Sequence[Flag] = (),
    takes_config_file: bool = True,
) -> T:
    """Build ``cls`` from YAML file ``path`` (optional) with dotted-key ``overrides`` on top; errors
    are :class:`ConfigError`/:class:`UserError` naming the file and key, or the missing flag."""
    data = read_yaml(path) if path else {}
    apply_overrides(data, overrides or {})
    _check_required(cls, data, flags, takes_config_file)
    try:
        return build(cls, data)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}" if path else str(err)) from None


def config_options(
    cls: type,
    *,
    param: str = "config",
    config_file: bool = False,
    prefixes: Mapping[str, str] | None = None,
    names: Mapping[str, str | Sequence[str]] | None = None,
    skip: Iterable[str] = (),
    panels: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a typer command: add one option per field of ``cls`` (and ``--config/-c`` when
    ``config_file``) and pass the built config as keyword ``param``. The command's own parameters
    stay as they are. ``panels`` maps a section key (``""`` for top-level fields) to a --help panel.
    In a group callback about to run a subcommand there is nothing to build: ``param`` is None."""
    flags = derive_flags(cls, prefixes, names, skip)
    panels = dict(panels or {})

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(fn)
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(fn).parameters.values()
            if p.name != param
        ]
        ctx_name = next(
            (p.name for p in own if isinstance(p.annotation, type) and issubclass(p.annotation, typer.Context)), None
        )
        kw_only = inspect.Parameter.KEYWORD_ONLY
        added = [] if ctx_name else [inspect.Parameter(CONTEXT_PARAM, kw_only, annotation=typer.Context)]
        if config_file:
            option = typer.Option(
                None, "--config", "-c", help="YAML config file; flags given on the command line override its values."
            )
            added.append(inspect.Parameter(CONFIG_FILE_PARAM, kw_only, default=option, annotation=Path | None))
        for flag in flags:
            show = not (isinstance(flag.default, str) and len(flag.default) > 40)
            text = flag.help + (" (required)" if flag.required else "")
            option = typer.Option(
                flag.default,
                *flag.decls,
                help=text,
                show_default=show,
                rich_help_panel=panels.get(flag.key.rpartition(".")[0]),
                metavar="JSON" if flag.is_json else None,
            )
            added.append(inspect.Parameter(flag.dest, kw_only, default=option, annotation=flag.cli_type))

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            ctx = kwargs[ctx_name] if ctx_name else kwargs.pop(CONTEXT_PARAM)
            path = kwargs.pop(CONFIG_FILE_PARAM, None) if config_file else None
            values = [(flag, kwargs.pop(flag.dest)) for flag in flags]
            if getattr(ctx, "invoked_subcommand", None) is not None:
                return fn(**kwargs, **{param: None})
            with user_errors():
                explicit = {}
                for flag, value in values:
                    source = ctx.get_parameter_source(flag.dest)
                    if source is not None and source.name in EXPLICIT_SOURCES:
                        explicit[flag.key] = _parse_json(flag, value) if flag.is_json else value
                config = load_config(cls, path, explicit, flags, takes_config_file=config_file)
            return fn(**kwargs, **{param: config})

        params = own + added
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate


__all__ = ["Flag", "config_options", "derive_flags", "load_config"]
