"""A judge failure reaches the whole completion, also when rewards are combined.

TRL sums the reward functions of a completion, treating a ``None`` as "no opinion" and dropping a
completion from the group baseline only when *every* reward says ``None``. With
``reward_funcs: [binary, format]`` a judge error (``None`` from ``binary``) would leave ``format``'s
value standing, so the completion enters its group as if it had failed its tests: a silent 0.

:func:`gate_rewards` wraps a list of reward functions so that wherever an execution reward says
``None`` (judge error, unreadable tests, unreadable completion), every other reward of that list
says ``None`` for that completion too. The execution rewards are computed once per batch
(memoised), whichever function TRL calls first, in TRL's sync or async path.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from rewards.base import RewardList, is_async_function


def _batch_key(kwargs: dict[str, Any]) -> tuple:
    """Identifies one TRL reward call: TRL hands every function the same lists, and the contents
    guard against an id reused after garbage collection."""
    completions = kwargs.get("completions") or []
    return id(completions), len(completions), hash(repr(completions)), hash(repr(kwargs.get("prompts")))


class _Memo:
    """One execution reward's results per batch, computed once whoever asks first."""

    def __init__(self, func: Callable, keep: int = 4):
        self.func = func
        self.asynchronous = is_async_function(func)
        self._futures: OrderedDict[tuple, Future] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep

    def _slot(self, key: tuple) -> tuple[Future, bool]:
        with self._lock:
            fut = self._futures.get(key)
            if fut is not None:
                return fut, False
            fut = Future()
            self._futures[key] = fut
            while len(self._futures) > self._keep:
                self._futures.popitem(last=False)
            return fut, True

    def __getstate__(self) -> dict[str, Any]:  # reward functions travel to other processes
        return {"func": self.func, "asynchronous": self.asynchronous, "_keep": self._keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._futures, self._lock = OrderedDict(), threading.Lock()

    def get(self, kwargs: dict[str, Any]) -> RewardList:
        fut, mine = self._slot(_batch_key(kwargs))
        if mine:
            try:
                result = asyncio.run(self.func(**kwargs)) if self.asynchronous else self.func(**kwargs)
                fut.set_result(result)
            except BaseException as exc:  # the guarded functions never raise; be safe anyway
                fut.set_exception(exc)
        return fut.result()

    async def aget(self, kwargs: dict[str, Any]) -> RewardList:
        fut, mine = self._slot(_batch_key(kwargs))
        if mine:
            try:
                if self.asynchronous:
                    result = await self.func(**kwargs)
                else:
                    result = await asyncio.to_thread(self.func, **kwargs)
                fut.set_result(result)
            except BaseException as exc:
                fut.set_exception(exc)
        return await asyncio.wrap_future(fut)


def _mask(values: RewardList, masks: Sequence[RewardList]) -> RewardList:
    return [None if any(m[i] is None for m in masks) else v for i, v in enumerate(values)]


class _Gated:
    """One reward function of a gated list; keeps the wrapped function's ``__name__`` for TRL's logs."""

    def __init__(self, func: Callable, memos: list[_Memo], own: _Memo | None):
        self.func, self.memos, self.own = func, memos, own
        self.__name__ = getattr(func, "__name__", type(func).__name__)

    def __call__(self, **kwargs: Any) -> RewardList:
        masks = [m.get(kwargs) for m in self.memos]
        values = masks[self.memos.index(self.own)] if self.own is not None else self.func(**kwargs)
        return _mask(list(values), masks)

    def __getattr__(self, name: str) -> Any:  # .reward, .options ... of the wrapped function
        if name == "func":
            raise AttributeError(name)
        return getattr(self.func, name)

    def __repr__(self) -> str:
        return f"<gated {self.func!r}>"


class _AsyncGated(_Gated):
    async def __call__(self, **kwargs: Any) -> RewardList:
        masks = list(await asyncio.gather(*(m.aget(kwargs) for m in self.memos)))
        if self.own is not None:
            values = masks[self.memos.index(self.own)]
        else:
            values = await self.func(**kwargs) if is_async_function(self.func) else self.func(**kwargs)
        return _mask(list(values), masks)


def gate_rewards(funcs: Sequence[Callable], is_execution: Callable[[Callable], bool]) -> list[Callable]:
    """Wrap ``funcs`` so a ``None`` from any execution reward is ``None`` in every reward of the list.

    Returns ``funcs`` unchanged when there is nothing to gate (no execution reward, or only one
    function). Each wrapper keeps its function's sync/async form and name.
    """
    execution = [f for f in funcs if is_execution(f)]
    if not execution or len(funcs) < 2:
        return list(funcs)
    memos = {id(f): _Memo(f) for f in execution}
    ordered = [memos[id(f)] for f in execution]
    out: list[Callable] = []
    for f in funcs:
        cls = _AsyncGated if is_async_function(f) else _Gated
        out.append(cls(f, ordered, memos.get(id(f))))
    return out


__all__ = ["gate_rewards"]
