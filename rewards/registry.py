"""The reward registry: names from a YAML file -> TRL reward functions with their options bound.

    reward_funcs: [binary, format]
    reward_weights: [1.0, 0.1]
    reward_options:
      max_tests: 10                 # shared: every listed reward that takes it
      format: {format_penalty: -1}  # scoped: only this reward
      judge: {workers: 8}           # the shared judge's JudgeConfig
      my_pkg.rewards:speed_bonus: {factor: 2}   # options of your own function

A name is a built-in reward (:func:`available_rewards`) or an import path to your own:
``package.module:function`` (or ``package.module.function``). Your function is called like any
TRL reward function and is guarded like ours (exceptions -> logged, ``None`` for the batch). It
may also be a :class:`rewards.base.Reward` subclass with an ``Options`` dataclass, which then gets
shared options too and the sync/async forms for free.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import MISSING, fields
from typing import Any

from rewards.base import Reward, as_reward_function, guard
from rewards.execution import EXECUTION_REWARDS, ExecutionReward
from rewards.gate import gate_rewards
from rewards.shaping import SHAPING_REWARDS

REGISTRY: dict[str, type[Reward]] = {}


def register_reward(cls: type[Reward]) -> type[Reward]:
    """Class decorator adding a :class:`Reward` subclass (with ``name`` and ``Options``) to the
    registry, so YAML files can name it."""
    if not getattr(cls, "name", None) or not hasattr(cls, "Options"):
        raise TypeError(f"{cls.__name__} needs a `name` and an `Options` dataclass to be registered")
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"a reward named {cls.name!r} is already registered ({REGISTRY[cls.name].__name__})")
    REGISTRY[cls.name] = cls
    return cls


for _cls in (*EXECUTION_REWARDS, *SHAPING_REWARDS):
    register_reward(_cls)


def option_names(cls: type[Reward]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls.Options))


def available_rewards() -> dict[str, str]:
    """Built-in reward names and their one-line descriptions."""
    return {name: " ".join((cls.__doc__ or "").split()) for name, cls in REGISTRY.items()}


def describe_options(name: str) -> list[tuple[str, Any, str]]:
    """``(option, default, help)`` for a built-in reward, for docs and ``--help`` texts."""
    out = []
    for f in fields(REGISTRY[name].Options):
        default = f.default if f.default is not MISSING else None
        out.append((f.name, default, f.metadata.get("help", "")))
    return out


def _is_import_path(name: str) -> bool:
    return ":" in name or "." in name


def load_object(path: str) -> Any:
    """Import ``package.module:attr`` or ``package.module.attr``. The working directory is
    importable, as with ``python -m``, so a ``my_rewards.py`` beside the launch works."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"reward {path!r}: expected 'package.module:function'")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"reward {path!r}: cannot import module {module_name!r} ({exc})") from exc
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError(f"reward {path!r}: module {module_name!r} has no attribute {attr!r}") from None
    return obj


def _build(cls: type[Reward], options: dict[str, Any], asynchronous: bool, label: str) -> Callable:
    try:
        reward = cls(cls.Options(**options))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"reward {label!r}: {exc}") from exc
    return as_reward_function(reward, asynchronous)


def get_reward_funcs(
    names: str | Iterable[str],
    *,
    asynchronous: bool = False,
    judge: dict[str, Any] | None = None,
    **options: Any,
) -> list[Callable]:
    """Reward functions for TRL's ``GRPOTrainer(reward_funcs=...)``, in the order of ``names``.

    Args:
        names: built-in reward names and/or import paths of your own reward functions.
        asynchronous: return the async form of the built-in rewards (TRL awaits them
            concurrently with other async rewards). Your own functions keep their form.
        judge: ``JudgeConfig`` fields for the shared judge (e.g. ``{"workers": 8}``).
        **options: options of the rewards. A plain key goes to every listed built-in reward
            that takes it; a key equal to a listed name, with a dict value, goes to that reward
            only (the only way to pass options to your own functions). An option no listed
            reward takes is an error, so a typo cannot silently change nothing.
    """
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ValueError("no reward functions given: list at least one name (e.g. reward_funcs: [binary])")
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"reward names must be non-empty strings, got {name!r}")
        if name in seen:
            raise ValueError(f"reward {name!r} is listed twice; TRL would log both under one name")
        seen.add(name)
        if name not in REGISTRY and not _is_import_path(name):
            raise ValueError(
                f"unknown reward {name!r}; known rewards: {', '.join(sorted(REGISTRY))} "
                "(or give an import path to your own: package.module:function)"
            )

    # A listed name with a mapping is scoped (`threshold: {threshold: 0.8}`); anything else is
    # shared (`threshold: 0.8` is the option of the reward with the same name).
    scoped = {k: v for k, v in options.items() if k in seen and isinstance(v, dict)}
    shared = {k: v for k, v in options.items() if k not in scoped}
    loaded = {n: load_object(n) for n in names if n not in REGISTRY}
    classes = {n: REGISTRY[n] for n in names if n in REGISTRY}
    classes.update({n: obj for n, obj in loaded.items() if isinstance(obj, type) and issubclass(obj, Reward)})
    accepted = {n: set(option_names(cls)) for n, cls in classes.items()}
    unused = sorted(set(shared) - set().union(*accepted.values()))
    if unused:
        known = ", ".join(sorted(set().union(*accepted.values()))) or "none"
        raise ValueError(
            f"reward option(s) {', '.join(unused)} are not taken by any of the rewards {names} "
            f"(their options: {known}); options for your own function go under its name"
        )

    if judge is not None:
        from rewards.shared_judge import configure_judge

        configure_judge(**judge)

    funcs: list[Callable] = []
    for name in names:
        own = dict(scoped.get(name, {}))
        if name in classes:
            cls = classes[name]
            bad = sorted(set(own) - accepted[name])
            if bad:
                raise ValueError(
                    f"reward {name!r} has no option(s) {', '.join(bad)}; it takes: {', '.join(sorted(accepted[name]))}"
                )
            merged = {k: v for k, v in shared.items() if k in accepted[name]} | own
            funcs.append(_build(cls, merged, asynchronous, name))
            continue
        obj = loaded[name]
        if isinstance(obj, Reward):
            if own:
                raise ValueError(f"reward {name!r} is an instance; configure it in code, not with options")
            funcs.append(as_reward_function(obj, asynchronous))
        elif callable(obj):
            label = getattr(obj, "__name__", name.rpartition(":")[2] or name)
            funcs.append(guard(functools.partial(obj, **own) if own else obj, name=label))
        else:
            raise ValueError(f"reward {name!r} is a {type(obj).__name__}, not a function")
    # A judge failure (None from an execution reward) must be None in every reward of the list, or
    # TRL would count the completion's other rewards and put it in the group baseline as a failure.
    return gate_rewards(funcs, is_execution=lambda f: isinstance(getattr(f, "reward", None), ExecutionReward))
