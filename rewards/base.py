"""What every reward shares: the batch TRL hands over, and the wrapper that makes a reward a
TRL reward function that never takes training down.

TRL's ``GRPOTrainer`` calls each reward function once per generation batch with keyword
arguments: ``prompts``, ``completions`` (plain strings, or chat messages: a list holding one
assistant message), ``completion_ids``, every dataset column (one value per completion, e.g.
``input_output``), and ``trainer_state``, ``log_metric`` and ``log_extra``. It expects one float
or ``None`` per completion (``None``: "no opinion", excluded from that reward's statistics and
from the group baseline when every reward says ``None``).

A reward written here subclasses :class:`Reward` and implements :meth:`Reward.score`;
:func:`as_reward_function` turns it into the callable TRL wants, in a sync or an async form.
Both forms are picklable class instances with a readable ``__name__`` (TRL logs
``rewards/<name>/mean``), and both catch every exception: the error is logged and the batch gets
``None`` rather than killing a multi-day run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

logger = logging.getLogger("rewards")

RewardList = list  # list[float | None], one per completion

# Keyword arguments TRL passes that are not dataset columns.
TRL_EXTRAS = ("prompts", "completions", "completion_ids", "trainer_state", "log_metric", "log_extra", "environments")


@dataclass
class RewardBatch:
    """One call's arguments, with the dataset columns kept apart from TRL's extras."""

    completions: Sequence[Any]
    prompts: Sequence[Any] | None = None
    completion_ids: Sequence[Sequence[int]] | None = None
    columns: dict[str, Sequence[Any]] = field(default_factory=dict)
    trainer_state: Any = None
    log_metric: Callable[[str, float], None] | None = None
    log_extra: Callable[[str, list], None] | None = None

    @classmethod
    def from_kwargs(
        cls,
        prompts=None,
        completions=None,
        completion_ids=None,
        trainer_state=None,
        log_metric=None,
        log_extra=None,
        environments=None,
        **columns,
    ) -> RewardBatch:
        if completions is None:
            raise TypeError("a reward function needs the `completions` keyword argument")
        return cls(list(completions), prompts, completion_ids, columns, trainer_state, log_metric, log_extra)

    def __len__(self) -> int:
        return len(self.completions)

    def column(self, name: str) -> Sequence[Any] | None:
        """A dataset column (one value per completion), or None when the dataset lacks it."""
        values = self.columns.get(name)
        if values is not None and len(values) != len(self.completions):
            raise ValueError(f"column {name!r} has {len(values)} values for {len(self.completions)} completions")
        return values

    @property
    def step(self) -> int:
        """The trainer's global step (0 outside training)."""
        return int(getattr(self.trainer_state, "global_step", 0) or 0)

    def metric(self, name: str, value: float) -> None:
        if self.log_metric is not None:
            self.log_metric(name, float(value))

    def extra(self, column: str, values: list) -> None:
        if self.log_extra is not None:
            self.log_extra(column, values)


@dataclass
class NoOptions:
    """The options of a reward that takes none."""


class Reward:
    """Base class: a named reward over a batch. Subclasses implement :meth:`score` and may
    declare their options as a dataclass in ``Options``; an async :meth:`ascore` defaults to
    running :meth:`score` in a thread."""

    name: str = "reward"
    Options: ClassVar[type] = NoOptions

    def __init__(self, options: Any = None):
        self.options = options if options is not None else self.Options()

    def score(self, batch: RewardBatch) -> RewardList:
        raise NotImplementedError

    async def ascore(self, batch: RewardBatch) -> RewardList:
        return await asyncio.to_thread(self.score, batch)

    def __repr__(self) -> str:
        return f"<reward {self.name}>"


# --------------------------------------------------------------------------------------------
# Never-failing wrappers


def _checked(name: str, values: Any, n: int) -> RewardList:
    values = list(values)
    if len(values) != n:
        raise ValueError(f"returned {len(values)} rewards for {n} completions")
    out: RewardList = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        try:  # numpy scalars and 0-d tensors are fine; bools and strings are bugs
            if isinstance(v, (bool, str, bytes)):
                raise TypeError
            out.append(float(v))
        except (TypeError, ValueError):
            raise TypeError(f"returned a {type(v).__name__} ({v!r:.60}); rewards must be numbers or None") from None
    return out


def _failed(name: str, n: int, exc: BaseException) -> RewardList:
    logger.error(
        "reward %s failed on a batch of %d completions; they get None: %s: %s",
        name,
        n,
        type(exc).__name__,
        exc,
        exc_info=exc,
    )
    return [None] * n


def _count(kwargs: dict) -> int:
    completions = kwargs.get("completions")
    try:
        return len(completions) if completions is not None else len(kwargs.get("prompts") or [])
    except TypeError:
        return 0


class RewardFunction:
    """A :class:`Reward` as a synchronous TRL reward function."""

    def __init__(self, reward: Reward):
        self.reward = reward
        self.__name__ = reward.name

    def __call__(self, prompts=None, completions=None, **kwargs) -> RewardList:
        n = _count({"prompts": prompts, "completions": completions})
        try:
            batch = RewardBatch.from_kwargs(prompts=prompts, completions=completions, **kwargs)
            return _checked(self.__name__, self.reward.score(batch), n)
        except Exception as exc:  # noqa: BLE001 - a reward must never end training
            return _failed(self.__name__, n, exc)

    def __repr__(self) -> str:
        return f"<reward function {self.__name__}>"


class AsyncRewardFunction(RewardFunction):
    """A :class:`Reward` as an async TRL reward function (TRL runs async rewards concurrently
    on its event loop, so an execution reward and, say, an LLM-judge reward overlap)."""

    async def __call__(self, prompts=None, completions=None, **kwargs) -> RewardList:
        n = _count({"prompts": prompts, "completions": completions})
        try:
            batch = RewardBatch.from_kwargs(prompts=prompts, completions=completions, **kwargs)
            return _checked(self.__name__, await self.reward.ascore(batch), n)
        except Exception as exc:  # noqa: BLE001
            return _failed(self.__name__, n, exc)


def as_reward_function(reward: Reward, asynchronous: bool = False) -> RewardFunction:
    return (AsyncRewardFunction if asynchronous else RewardFunction)(reward)


class GuardedFunction:
    """A user's plain reward function, made as safe as ours: exceptions and malformed return
    values are logged and turn into ``None`` for the batch. Keeps the function's name."""

    def __init__(self, func: Callable, name: str | None = None):
        self.func = func
        self.__name__ = name or getattr(func, "__name__", type(func).__name__)

    def __call__(self, **kwargs) -> RewardList:
        n = _count(kwargs)
        try:
            return _checked(self.__name__, self.func(**kwargs), n)
        except Exception as exc:  # noqa: BLE001
            return _failed(self.__name__, n, exc)

    def __repr__(self) -> str:
        return f"<reward function {self.__name__} ({self.func!r})>"


class AsyncGuardedFunction(GuardedFunction):
    async def __call__(self, **kwargs) -> RewardList:
        n = _count(kwargs)
        try:
            return _checked(self.__name__, await self.func(**kwargs), n)
        except Exception as exc:  # noqa: BLE001
            return _failed(self.__name__, n, exc)


def is_async_function(func: Callable) -> bool:
    """Same rule as TRL: a coroutine function, or a callable whose ``__call__`` is one."""
    import functools

    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or (callable(func) and inspect.iscoroutinefunction(type(func).__call__))


def guard(func: Callable, name: str | None = None) -> GuardedFunction:
    return (AsyncGuardedFunction if is_async_function(func) else GuardedFunction)(func, name)


# --------------------------------------------------------------------------------------------
# Warnings that do not flood a training log


class WarnOnce:
    """Log a warning once per key (e.g. once per problem without tests), up to a cap."""

    def __init__(self, cap: int = 1000):
        self._seen: set[str] = set()
        self._cap = cap
        self._lock = threading.Lock()

    def __call__(self, key: str, message: str, *args) -> None:
        with self._lock:
            if key in self._seen or len(self._seen) >= self._cap:
                return
            self._seen.add(key)
        logger.warning(message, *args)


warn_once = WarnOnce()
