"""The stage API: what a SynthSmith stage declares and what it may use.

A stage (``data_gen/stages/<name>.py``, exporting ``STAGE``) only says what its work items are and
how to process one item into records; the runner (``data_gen/runner.py``) does resume, sharding,
storage, progress and kept/dropped counting the same way for every stage. A stage drops an item
by raising :class:`Drop` or counts dropped would-be records in its :class:`ItemResult`.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Console

from data_gen.config import ALL_STAGES, GenConfig, StageLLM
from data_gen.prompts import PromptTemplate, load_prompt
from data_gen.records import Record
from data_gen.storage import read_records
from xcoder.hashing import derive_seed


class Drop(Exception):
    """Raised by a stage to drop the current item with a reason (counted, never fatal)."""

    def __init__(self, reason: str, count: int = 1):
        super().__init__(reason)
        self.reason, self.count = reason, count


@dataclass
class WorkItem:
    """One unit of work. ``key`` must be stable across runs (resume skips done keys); ``drop``
    pre-drops the item with that reason (decided while listing items, e.g. a near-duplicate)."""

    key: str
    payload: Any = None
    drop: str | None = None


@dataclass
class ItemResult:
    """What one item produced: records to write, and counts of dropped would-be records by reason.
    ``kept`` overrides the kept count for stages whose output is not records (``export``)."""

    records: list[Record] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    kept: int | None = None

    def drop(self, reason: str, count: int = 1) -> None:
        if count:
            self.dropped[reason] += count


class StageContext:
    """What a stage may use: the config, the shard, the LLM client and the judge (when the stage
    declares it needs them), prompts, and deterministic seeds."""

    def __init__(
        self,
        config: GenConfig,
        stage: str,
        shard: tuple[int, int],
        console: Console,
        llm: Any = None,
        judge: Any = None,
    ):
        self.config, self.stage, self.shard, self.console = config, stage, shard, console
        self.llm, self.judge = llm, judge
        self.output_dir = Path(config.output_dir)
        self.done: set[str] = set()  # item keys already committed (stages may skip loading their inputs)
        self._prompts: dict[str, PromptTemplate] = {}

    def prompt(self, name: str) -> PromptTemplate:
        if name not in self._prompts:
            self._prompts[name] = load_prompt(name, self.config.prompts_dir)
        return self._prompts[name]

    def seed_for(self, *parts: Any) -> int:
        """A 31-bit seed derived from the run's random seed and ``parts`` (stable across runs)."""
        return derive_seed(self.config.random_seed, *parts)

    def model(self, section: StageLLM | None) -> str:
        return (section.model if section is not None and section.model else None) or self.config.llm.model

    async def chat(
        self,
        messages: list[dict[str, Any]],
        section: StageLLM | None,
        *,
        seed_parts: Sequence[Any],
        n: int = 1,
        json: bool = False,
        json_schema: dict[str, Any] | None = None,
    ) -> Any:
        """One LLM call with the stage's model and sampling overrides and a per-item seed (so two
        items with the same prompt still get their own answers, and every rerun hits the cache)."""
        if self.llm is None:
            raise RuntimeError(f"stage {self.stage} did not declare uses_llm")
        params = section.params() if section is not None else {}
        return await self.llm.chat(
            messages,
            n=n,
            json=json,
            json_schema=json_schema,
            model=self.model(section),
            seed=self.seed_for(self.stage, *seed_parts),
            **params,
        )

    def read(self, stage: str, cls: type[Record], keep: Callable[[dict[str, Any]], bool] | None = None) -> list[Any]:
        return read_records(self.output_dir, stage, cls, keep)


class Stage:
    """Base class of a pipeline stage; see the module docstring."""

    name: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]] = ()  # stages that must be finished first
    uses_llm: ClassVar[bool] = False
    uses_judge: ClassVar[bool] = False
    single_item: ClassVar[bool] = False  # one global item, run on shard 0

    def __init__(self, ctx: StageContext):
        self.ctx = ctx
        self.config = ctx.config

    def items(self) -> Iterable[WorkItem]:
        raise NotImplementedError

    async def process(self, item: WorkItem) -> ItemResult:
        raise NotImplementedError

    @classmethod
    def required_inputs(cls, config: GenConfig) -> tuple[str, ...]:
        """Stages that must have finished on every shard before this one starts."""
        return cls.inputs

    @classmethod
    def wants_llm(cls, config: GenConfig) -> bool:
        return cls.uses_llm

    @classmethod
    def wants_judge(cls, config: GenConfig) -> bool:
        return cls.uses_judge


def stage_class(name: str) -> type[Stage]:
    """The stage called ``name``: the ``STAGE`` of module ``data_gen.stages.<name>``."""
    if name not in ALL_STAGES:
        raise ValueError(f"unknown stage {name!r}; stages: {', '.join(ALL_STAGES)}")
    cls = importlib.import_module(f"data_gen.stages.{name}").STAGE
    if cls.name != name:
        raise RuntimeError(f"data_gen/stages/{name}.py holds stage {cls.name!r}, not {name!r}")
    return cls
