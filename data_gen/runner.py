"""The stage executor: runs (or resumes) a stage on a shard with the same resume, sharding,
manifest, progress and kept/dropped behaviour for every SynthSmith stage.

* **resume** — items listed in any committed part (``data_gen/storage.py``) are skipped. Items in
  flight when a run dies are redone, and every LLM answer they had already received comes from the
  client's on-disk cache (``llm.cache_path``, default ``output_dir/llm_cache.sqlite``), so no
  completed request is ever sent twice and no record is lost or doubled, even after ``kill -9``.
* **sharding** — ``--shard i/n`` processes the items whose key hashes to ``i`` (single-item stages
  such as ``tree`` and ``export`` run on shard 0). A stage starts only when every shard of its
  input stages has finished (per-shard ``manifest-<shard>.json``).
* **never dies on one item** — an item whose processing raises :class:`~data_gen.stage.Drop`, an
  LLM error (HTTP 4xx, retries exhausted) or any other exception is dropped with its reason
  counted; the run goes on. Every stage ends with a table of kept and dropped counts by reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from data_gen.config import STAGES, GenConfig
from data_gen.stage import Drop, ItemResult, Stage, StageContext, WorkItem, stage_class
from data_gen.storage import (
    ShardWriter,
    StageSummary,
    read_done,
    shard_label,
    shard_of,
    stage_dir,
    stage_status,
    stage_summary,
    write_manifest,
)
from xcoder import cancel
from xcoder.config import config_to_dict
from xcoder.hashing import digest
from xcoder.progress import make_progress

log = logging.getLogger("data_gen")


class StageNotReady(RuntimeError):
    """The stage's inputs are missing or not finished on every shard."""


class EndpointError(RuntimeError):
    """The LLM endpoint failed the stage (preflight, circuit breaker, or items lost to endpoint
    errors): the stage is left unfinished so that a rerun, once the endpoint is back, does the work."""


def _llm_reason(err: Exception) -> str:
    from xcoder.llm import LLMHTTPError, LLMRetriesExhausted

    if isinstance(err, LLMHTTPError):
        return f"llm_http_{err.status}"
    if isinstance(err, LLMRetriesExhausted):
        return "llm_retries_exhausted"
    return "llm_error"


def with_cache(config: GenConfig) -> GenConfig:
    """The config with the LLM response cache under ``output_dir`` unless one is configured."""
    if config.llm.cache_path:
        return config
    return replace(config, llm=replace(config.llm, cache_path=str(Path(config.output_dir) / "llm_cache.sqlite")))


def run_stage(
    config: GenConfig,
    name: str,
    shard: tuple[int, int] = (0, 1),
    *,
    force: bool = False,
    progress: bool = True,
    console: Console | None = None,
    judge: Any = None,
    strict: bool = False,
) -> StageSummary:
    """Run (or resume) one stage on one shard; returns its summary over all shards.

    An unusable endpoint (preflight, circuit breaker) raises :class:`EndpointError`; so do items
    dropped for endpoint errors (``retry_reasons``) when ``strict`` (what ``xcoder gen`` uses), else
    the summary's message says so. Either way the stage is not marked finished."""
    config = with_cache(config)
    console = console or Console(stderr=True)
    cls = stage_class(name)
    out = Path(config.output_dir)
    directory = stage_dir(out, name)
    label = shard_label(shard)
    if force:
        for p in list(directory.glob(f"part-{label}-*")) + list(directory.glob(f"manifest-{label}.json")):
            p.unlink()
    for dep in cls.required_inputs(config):
        ready, why = stage_status(out, dep)
        if not ready:
            raise StageNotReady(f"cannot run {name}: {why}")
    if cls.single_item and shard[0] != 0:
        summary = stage_summary(out, name)
        summary.message = f"{name} runs on shard 0 only (it is one global step)"
        return summary

    writer = ShardWriter(directory, label)
    released = writer.release(set(config.retry_reasons))
    if released:
        console.print(f"{name}: retrying {released} item(s) dropped earlier for {', '.join(config.retry_reasons)}")
    done = {k for d in read_done(directory) for k in d["items"]}
    started = time.monotonic()
    manifest = {
        "stage": name,
        "shard": label,
        "n_shards": shard[1],
        "finished": False,
        "config": config_to_dict(getattr(config, name, None)),
        "prompts_dir": config.prompts_dir,
        "model": config.llm.model,
    }
    manifest["config_sha"] = digest(json.dumps(manifest["config"], sort_keys=True, default=str), 12)

    own_judge = None
    if cls.wants_judge(config) and judge is None:
        from xcoder.judge import Judge

        judge = own_judge = Judge(config.judge)
    from xcoder.llm import LLMUnavailable

    execution = _StageRun(config, cls, shard, writer, done, console, progress, judge, manifest, started)
    try:
        summary = asyncio.run(execution.run())
    except LLMUnavailable as err:
        raise EndpointError(
            f"{name}: {err}; {execution.committed_now} finished item(s) kept, the stage is not "
            "finished: rerun the same command once the endpoint answers"
        ) from None
    except cancel.Cancelled:
        raise cancel.Cancelled(
            f"{name}: {execution.committed_now} item(s) finished in this run were committed to {directory}"
        ) from None
    finally:
        if own_judge is not None:
            own_judge.close()
    summary.elapsed = time.monotonic() - started
    if execution.infra_drops:
        summary.message = (
            f"{name}: {execution.infra_drops} item(s) failed on LLM endpoint errors (last: "
            f"{execution.infra_error}); the stage is not finished: rerun the same command once the "
            "endpoint is back to redo them"
        )
        if strict:
            raise EndpointError(summary.message)
    return summary


class _StageRun:
    """One execution of one stage on one shard: lists the items, keeps enough of them in flight,
    buffers finished ones and commits them to the shard's parts every ``flush_every`` items or
    ``flush_seconds``, and keeps the shard's manifest current."""

    def __init__(
        self,
        config: GenConfig,
        cls: type[Stage],
        shard: tuple[int, int],
        writer: ShardWriter,
        done: set[str],
        console: Console,
        progress: bool,
        judge: Any,
        manifest: dict[str, Any],
        started: float,
    ):
        self.config, self.cls, self.shard, self.writer = config, cls, shard, writer
        self.done, self.console, self.progress, self.judge = done, console, progress, judge
        self.manifest = manifest
        self.started = started
        self.llm: Any = None
        self.stage: Stage | None = None
        self.items: list[WorkItem] = []
        self.todo: list[WorkItem] = []
        self.buffer: list[tuple[str, ItemResult]] = []
        self.committed_now = 0  # items committed by this run
        self.last_flush = time.monotonic()
        self.first_error = True  # the first unexpected error is shown with its traceback
        self.infra_drops = 0  # items of this run dropped for an endpoint failure (config.retry_reasons)
        self.infra_error = ""

    async def run(self) -> StageSummary:
        config, cls = self.config, self.cls
        if cls.wants_llm(config):
            from xcoder.llm import LLMClient

            self.llm = LLMClient(config.llm)
        try:
            concurrency = self._concurrency()
            ctx = StageContext(config, cls.name, self.shard, self.console, llm=self.llm, judge=self.judge)
            ctx.done = self.done
            self.stage = cls(ctx)
            self._plan()
            if self.llm is not None and self.todo:
                await self.llm.preflight()
            await self._work(concurrency)
            finalize = getattr(self.stage, "finalize", None)
            if finalize is not None:
                finalize()
        finally:
            if self.llm is not None:
                await self.llm.aclose()
        summary = stage_summary(config.output_dir, cls.name)
        summary.new_items = self.committed_now
        return summary

    def _concurrency(self) -> int:
        """Items in flight: enough to keep the LLM endpoints busy; a judge-only stage needs only
        enough to keep every judge worker fed (judge calls beyond that wait for a worker anyway)."""
        config, cls = self.config, self.cls
        concurrency = config.item_concurrency or config.llm.max_concurrency
        if cls.wants_judge(config):
            workers = self.judge.config.n_workers
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=max(4, 2 * workers)))
            if not cls.wants_llm(config):
                concurrency = config.item_concurrency or 2 * workers
        return max(1, concurrency)

    def _plan(self) -> None:
        """This shard's items, and those of them not done yet."""
        cls, shard = self.cls, self.shard
        assert self.stage is not None
        self.items = [
            it
            for it in self.stage.items()
            if (shard[0] == 0 if cls.single_item else shard_of(it.key, shard[1]) == shard[0])
        ]
        if cls.single_item and self.done and not self.done & {it.key for it in self.items}:
            # A global step whose inputs or options changed: its old output is replaced, not extended.
            self.writer.reset()
            self.done = set()
        self.todo = [it for it in self.items if it.key not in self.done]
        keys = [it.key for it in self.items]
        if len(set(keys)) != len(keys):
            dup = next(k for k, c in Counter(keys).items() if c > 1)
            raise RuntimeError(f"stage {cls.name} produced the work-item key {dup!r} twice (a bug in the stage)")

    async def _work(self, concurrency: int) -> None:
        self._save_manifest(False)
        bar = (
            _Bar(self.cls.name, len(self.items), len(self.items) - len(self.todo), self.writer, self.console)
            if self.progress
            else None
        )
        pending: set[asyncio.Task] = set()
        iterator = iter(self.todo)
        retry_reasons = set(self.config.retry_reasons)
        stop: BaseException | None = None
        try:
            if bar:
                bar.start()
            while stop is None:
                if cancel.requested():
                    stop = cancel.Cancelled()
                    break
                while len(pending) < concurrency:
                    item = next(iterator, None)
                    if item is None:
                        break
                    pending.add(asyncio.create_task(self._one(item)))
                if not pending:
                    break
                finished, pending = await asyncio.wait(
                    pending, timeout=cancel.POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                for task in finished:
                    try:
                        key, result = task.result()
                    except Exception as err:  # the endpoint is gone (LLMUnavailable): stop, keep the rest
                        stop = err
                        continue
                    self.buffer.append((key, result))
                    self.infra_drops += sum(n for r, n in result.dropped.items() if r in retry_reasons)
                    if bar:
                        bar.advance(result)
                due = time.monotonic() - self.last_flush >= self.config.flush_seconds
                if len(self.buffer) >= self.config.flush_every or (self.buffer and due):
                    self._flush()
            if stop is not None and self.judge is not None and isinstance(stop, cancel.Cancelled):
                self.judge.abort()  # kill the programs running now; their items are redone next time
            self._flush()
            if stop is not None:
                raise stop
            self._save_manifest(not self.infra_drops)
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
            if bar:
                bar.stop()

    async def _one(self, item: WorkItem) -> tuple[str, ItemResult]:
        """Process one item; whatever goes wrong becomes a counted drop reason."""
        assert self.stage is not None
        name = self.cls.name
        if item.drop:
            return item.key, ItemResult(dropped=Counter({item.drop: 1}))
        try:
            return item.key, await self.stage.process(item)
        except Drop as d:
            return item.key, ItemResult(dropped=Counter({d.reason: d.count}), notes=Counter(d.notes))
        except Exception as err:  # noqa: BLE001 - a stage never dies on one item
            from xcoder.llm import LLMError, LLMUnavailable

            if isinstance(err, LLMUnavailable):
                raise  # not this item's fault: the stage stops (EndpointError) and the item is redone
            if isinstance(err, LLMError):
                reason = _llm_reason(err)
                log.info("%s: item %s dropped: %s", name, item.key, err)
                if reason in self.config.retry_reasons:
                    self.infra_error = str(err)
            else:
                reason = f"error:{type(err).__name__}"
                if self.first_error:
                    self.first_error = False
                    self.console.print(
                        f"[red]{name}: item {item.key} failed with an unexpected error "
                        f"(counted as {reason}; later ones are logged only):[/red]\n"
                        + "".join(traceback.format_exception(err))
                    )
                else:
                    log.warning("%s: item %s failed: %r", name, item.key, err)
            return item.key, ItemResult(dropped=Counter({reason: 1}))

    def _flush(self) -> None:
        self.writer.commit(self.buffer)
        self.committed_now += len(self.buffer)
        self.buffer.clear()
        self.last_flush = time.monotonic()
        self._save_manifest(False)

    def _save_manifest(self, finished: bool) -> None:
        write_manifest(
            self.writer.directory,
            self.writer.label,
            {
                **self.manifest,
                "finished": finished,
                "items_total": len(self.items),
                "items_done": len(self.items) - len(self.todo) + self.committed_now,
                "kept": self.writer.kept,
                "dropped": dict(self.writer.dropped),
                "elapsed_seconds": round(time.monotonic() - self.started, 3),
                "llm": _llm_stats(self.llm),
            },
        )


def _llm_stats(llm: Any) -> dict[str, Any] | None:
    if llm is None:
        return None
    total = llm.stats.total()
    return {k: v for k, v in vars(total).items() if isinstance(v, (int, float))}


class _Bar:
    """One progress bar per stage with running kept/dropped counts (rich, on stderr)."""

    def __init__(self, stage: str, total: int, done: int, writer: ShardWriter, console: Console):
        self.progress = make_progress(
            counters="kept {task.fields[kept]} · dropped {task.fields[dropped]}", console=console
        )
        self.kept, self.dropped = writer.kept, sum(writer.dropped.values())
        self.task = self.progress.add_task(stage, total=total, completed=done, kept=self.kept, dropped=self.dropped)

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        self.progress.stop()

    def advance(self, result: ItemResult) -> None:
        self.kept += len(result.records) if result.kept is None else result.kept
        self.dropped += sum(result.dropped.values())
        self.progress.update(self.task, advance=1, kept=self.kept, dropped=self.dropped)


def run_stages(
    config: GenConfig,
    stages: Sequence[str] = STAGES,
    shard: tuple[int, int] = (0, 1),
    *,
    progress: bool = True,
    console: Console | None = None,
    out_console: Console | None = None,
) -> list[StageSummary]:
    """Run stages in order (each resumes); one judge is shared by the stages that need it."""
    console = console or Console(stderr=True)
    out_console = out_console or Console()
    from xcoder.judge import Judge

    summaries = []
    judge = None
    try:
        for name in stages:
            if stage_class(name).wants_judge(config) and judge is None:
                judge = Judge(config.judge)
            summary = run_stage(config, name, shard, progress=progress, console=console, judge=judge, strict=True)
            summaries.append(summary)
            out_console.print(summary.table())
            if summary.message:
                out_console.print(f"[yellow]{summary.message}[/yellow]")
                break
    finally:
        if judge is not None:
            judge.close()
    return summaries
