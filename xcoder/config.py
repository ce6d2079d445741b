"""The typed-config toolkit every room uses: YAML in, dataclasses out, errors that name the key.

A config is a dataclass whose fields are declared with :func:`help_field`, so a field's default and
its help text exist once; the YAML loader (:func:`build`), the manifests (:func:`config_to_dict`) and
the command-line options (:mod:`xcoder.cli_options`) all read that one declaration. A silently
ignored typo in a generation or training run costs hours, so unknown keys and wrongly typed values
are errors that name the key path (``tasks.styles.leetcode: expected a number, got 'x'``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """Invalid configuration; the message names the file and key path."""


def help_field(text: str, **kw: Any) -> Any:
    """A dataclass field carrying its help text (``default=`` or ``default_factory=`` as usual)."""
    return field(metadata={"help": text}, **kw)


def field_help(f: dataclasses.Field) -> str:
    """The help text of a field declared with :func:`help_field` ('' when it has none)."""
    return str(f.metadata.get("help", ""))


def check_value(value: Any, hint: Any, where: str) -> Any:
    """Light type check of a YAML scalar/list/dict against a field's annotation (ints widen to float)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return check_value(value, option, where)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0] if errors else f"{where}: invalid value {value!r}")
    if hint is Any:
        return value
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{where}: expected one of {list(allowed)}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        args = typing.get_args(hint)
        inner = args[0] if args else Any
        out = [check_value(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        _, inner = typing.get_args(hint) or (str, Any)
        return {str(k): check_value(v, inner, f"{where}.{k}") for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if dataclasses.is_dataclass(hint):
        return build(hint, value, where)
    return value


def build(cls: type[T], data: Any, where: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, recursing into nested dataclass fields.

    Unknown keys, wrong types and errors raised by ``__post_init__`` become :class:`ConfigError`
    naming the key path ``where``.
    """
    if data is None:
        data = {}
    if dataclasses.is_dataclass(data) and isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where or 'top level'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls) if f.init}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where or 'top level'}: unknown key(s) {unknown}; known: {sorted(known)}")
    kwargs = {
        name: check_value(value, hints[name], f"{where}.{name}" if where else name) for name, value in data.items()
    }
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:  # ConfigError included; __post_init__ may name the key already
        msg, prefix = str(err), where or cls.__name__
        raise ConfigError(msg if msg.startswith(prefix) else f"{prefix}: {msg}") from None


def read_yaml(path: str | Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A YAML config file as a dict, with dotted-key ``overrides`` applied; clear errors for a
    missing file, invalid YAML, a non-mapping top level or an override through a non-section."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: invalid YAML ({err})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    apply_overrides(data, overrides or {})
    return data


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys (``llm.base_url``) in ``data`` in place, creating sections as needed."""
    for dotted, value in overrides.items():
        node = data
        *parents, last = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {dotted}: {key} is not a section")
        node[last] = value
    return data


def load(cls: type[T], path: str | Path, overrides: Mapping[str, Any] | None = None) -> T:
    """Read ``path`` as YAML and build ``cls``; errors read ``<path>: <key.path>: <problem>``."""
    data = read_yaml(path, overrides)
    try:
        return build(cls, data)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def config_to_dict(config: Any) -> Any:
    """Plain data of a config (for manifests, fingerprints and YAML dumps)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: config_to_dict(getattr(config, f.name)) for f in fields(config)}
    if isinstance(config, (list, tuple)):
        return [config_to_dict(v) for v in config]
    if isinstance(config, dict):
        return {k: config_to_dict(v) for k, v in config.items()}
    return config


__all__ = [
    "ConfigError",
    "apply_overrides",
    "build",
    "check_value",
    "config_to_dict",
    "field_help",
    "help_field",
    "load",
    "read_yaml",
]
