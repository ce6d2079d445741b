"""Where stage output lives on disk: committed parts, shards, manifests, and the readers and
writers every stage (and the procedural source) shares.

* **parts** — records go to ``output_dir/<stage>/part-<shard>-<chunk>.jsonl``; each part is
  written atomically (temp file + rename) and then *committed* by a ``.done.json`` beside it that
  lists the work items it covers and their kept/dropped counts. A part without its ``.done.json``
  (a run killed between the two writes) is ignored and removed on the next run, so readers never
  see half a chunk and never see an item twice.
* **shards** — ``--shard i/n`` owns the items whose key hashes to ``i`` (:func:`shard_of`); each
  shard writes its own parts and ``manifest-<shard>.json``, and a stage counts as finished when
  every shard's manifest says so (:func:`stage_status`).
* **external writers** — :func:`write_records` commits records made outside the runner (e.g.
  ``data_gen.procedural``) so later stages read them exactly like LLM-made ones.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from data_gen.config import ALL_STAGES
from data_gen.records import Record
from xcoder.hashing import digest
from xcoder.io import atomic_write_json, atomic_write_jsonl, iter_jsonl

if TYPE_CHECKING:
    from data_gen.stage import ItemResult

log = logging.getLogger("data_gen")

_PART = re.compile(r"^part-(?P<label>[A-Za-z0-9_.-]+?)-(?P<chunk>\d{5})\.jsonl$")


@dataclass
class StageSummary:
    """Kept and dropped counts of one stage over all its shards (what ``xcoder gen status`` shows)."""

    stage: str
    items: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    new_items: int = 0
    elapsed: float = 0.0
    message: str = ""

    def table(self) -> Table:
        title = f"{self.stage}: {self.kept} kept, {sum(self.dropped.values())} dropped ({self.items} items)"
        table = Table(title=title, title_justify="left", min_width=len(title) + 2)
        table.add_column("outcome")
        table.add_column("count", justify="right")
        table.add_column("share", justify="right")
        total = self.kept + sum(self.dropped.values())
        drops = sorted(self.dropped.items(), key=lambda x: -x[1])
        rows = [("kept", self.kept)] + [(f"dropped: {r}", n) for r, n in drops]
        for name, n in rows:
            table.add_row(name, str(n), f"{100 * n / total:.1f}%" if total else "-")
        return table


def stage_dir(output_dir: str | Path, stage: str) -> Path:
    return Path(output_dir) / stage


def shard_label(shard: tuple[int, int]) -> str:
    i, n = shard
    return f"{i:03d}of{n:03d}"


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"2/8"`` -> (2, 8); None -> (0, 1)."""
    if text in (None, ""):
        return (0, 1)
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m or not 0 <= int(m.group(1)) < int(m.group(2)):
        raise ValueError(f"--shard must be i/n with 0 <= i < n, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def shard_of(key: str, n: int) -> int:
    """The shard (of ``n``) that owns work item ``key``: stable across runs and machines."""
    return int(digest(key, 12), 16) % n


def committed_parts(directory: Path) -> list[Path]:
    """Data files whose ``.done.json`` exists, in a stable order."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("part-*.jsonl") if _PART.match(p.name) and _done_path(p).exists())


def _done_path(part: Path) -> Path:
    return part.with_name(part.name[: -len(".jsonl")] + ".done.json")


def read_done(directory: Path, label: str | None = None) -> list[dict[str, Any]]:
    """The ``.done.json`` entries of committed parts (optionally of one shard label only)."""
    out = []
    for part in committed_parts(directory):
        if label is not None and _PART.match(part.name).group("label") != label:  # type: ignore[union-attr]
            continue
        with open(_done_path(part), encoding="utf-8") as fh:
            out.append(json.load(fh))
    return out


def iter_raw(output_dir: str | Path, stage: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, row)`` for every committed record of a stage; ``where`` is ``file:line``."""
    for part in committed_parts(stage_dir(output_dir, stage)):
        for lineno, row, error in iter_jsonl(part):
            if error:
                raise ValueError(f"{error} in a committed part; was it edited?")
            yield f"{part}:{lineno}", row


def read_records(
    output_dir: str | Path, stage: str, cls: type[Record], keep: Callable[[dict[str, Any]], bool] | None = None
) -> list[Any]:
    """All committed records of ``stage`` as ``cls``, sorted by id (deterministic order whatever
    the completion order was). ``keep`` filters raw rows before they are built."""
    out = []
    seen: set[str] = set()
    for where, row in iter_raw(output_dir, stage):
        if keep is not None and not keep(row):
            continue
        try:
            record = cls.from_dict(row)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        rid = getattr(record, "id", None)
        if rid is not None:
            if rid in seen:
                log.warning("%s: duplicate record id %s ignored", where, rid)
                continue
            seen.add(rid)
        out.append(record)
    out.sort(key=lambda r: getattr(r, "id", ""))
    return out


class ShardWriter:
    """Commits finished items of one shard of one stage as atomic parts (see module docstring)."""

    def __init__(self, directory: Path, label: str):
        self.directory, self.label = directory, label
        directory.mkdir(parents=True, exist_ok=True)
        self._remove_orphans()
        chunks = [
            int(m.group("chunk"))
            for p in directory.glob(f"part-{label}-*.jsonl")
            if (m := _PART.match(p.name)) and m.group("label") == label
        ]
        self.next_chunk = max(chunks, default=-1) + 1
        self.kept = 0
        self.items = 0
        self.dropped: Counter = Counter()
        for done in read_done(directory, label):
            self.kept += done["kept"]
            self.items += len(done["items"])
            self.dropped.update(done["dropped"])

    def release(self, reasons: set[str]) -> int:
        """Forget this shard's items that produced no record and were dropped for one of
        ``reasons`` (e.g. ``llm_retries_exhausted`` during a server outage), so this run redoes
        them; their counts leave the summary with them. Returns how many were released."""
        released = 0
        for part in committed_parts(self.directory):
            m = _PART.match(part.name)
            if not reasons or m is None or m.group("label") != self.label:
                continue
            path = _done_path(part)
            with open(path, encoding="utf-8") as fh:
                done = json.load(fh)
            drops = done.get("drops", {})
            again = {k for k, d in drops.items() if set(d) & reasons}
            if not again:
                continue
            dropped = Counter(done["dropped"])
            for key in again:
                dropped.subtract(drops[key])
            done["items"] = [k for k in done["items"] if k not in again]
            done["dropped"] = {r: n for r, n in dropped.items() if n > 0}
            done["drops"] = {k: d for k, d in drops.items() if k not in again}
            atomic_write_json(path, done, indent=None)
            released += len(again)
        if released:
            self.items, self.dropped = 0, Counter()
            self.kept = 0
            for done in read_done(self.directory, self.label):
                self.kept += done["kept"]
                self.items += len(done["items"])
                self.dropped.update(done["dropped"])
        return released

    def reset(self) -> None:
        """Remove every part of this shard (a single-item stage recomputing its output)."""
        for p in self.directory.glob(f"part-{self.label}-*"):
            p.unlink()
        self.next_chunk, self.kept, self.items, self.dropped = 0, 0, 0, Counter()

    def _remove_orphans(self) -> None:
        for p in self.directory.glob(f"part-{self.label}-*.jsonl"):
            if not _done_path(p).exists():
                p.unlink()  # written, never committed: its items are redone
        for p in self.directory.glob(f".part-{self.label}-*.tmp"):
            p.unlink()  # an atomic write cut short

    def commit(self, finished: Sequence[tuple[str, ItemResult]]) -> None:
        """Write the records of ``finished`` items as one part, then mark the part done."""
        if not finished:
            return
        records = [r.to_dict() for _, res in finished for r in res.records]
        kept = sum(len(res.records) if res.kept is None else res.kept for _, res in finished)
        dropped: Counter = Counter()
        for _, res in finished:
            dropped.update(res.dropped)
        part = self.directory / f"part-{self.label}-{self.next_chunk:05d}.jsonl"
        atomic_write_jsonl(part, records)
        # The commit point: only now do the items count as done.
        # Items that produced nothing, with why: the ones dropped for a transient reason are
        # retried by the next run (see ``release``).
        drops = {k: dict(res.dropped) for k, res in finished if res.dropped and not res.records and not res.kept}
        atomic_write_json(
            _done_path(part),
            {"items": [k for k, _ in finished], "kept": kept, "dropped": dict(dropped), "drops": drops},
            indent=None,
        )
        self.next_chunk += 1
        self.kept += kept
        self.items += len(finished)
        self.dropped.update(dropped)


def write_records(
    output_dir: str | Path,
    stage: str,
    records: Sequence[Record],
    writer: str = "external",
    dropped: Mapping[str, int] | None = None,
) -> Path:
    """Commit records made outside the runner (e.g. ``data_gen/procedural``) into a stage directory,
    so later stages read them exactly like LLM-made ones. Each record is its own work item; the
    part is marked finished under the shard label ``x-<writer>``. Writing the same records again
    replaces the previous part of that writer."""
    if stage not in ALL_STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(ALL_STAGES)}")
    from data_gen.stage import ItemResult

    if not re.fullmatch(r"[A-Za-z0-9_.]+", writer):
        raise ValueError(f"writer name must be letters, digits, '_' or '.', got {writer!r}")
    label = f"x-{writer}"
    directory = stage_dir(output_dir, stage)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"part-{label}-*"):
        old.unlink()
    out = ShardWriter(directory, label)
    finished = [(getattr(r, "id", f"{label}-{i}"), ItemResult(records=[r])) for i, r in enumerate(records)]
    if dropped:
        finished.append((f"{label}-dropped", ItemResult(dropped=Counter(dropped))))
    out.commit(finished)
    write_manifest(
        directory,
        label,
        {
            "stage": stage,
            "shard": label,
            "n_shards": None,
            "finished": True,
            "items_total": len(finished),
            "items_done": len(finished),
            "kept": out.kept,
            "dropped": dict(out.dropped),
            "writer": writer,
        },
    )
    return directory


def write_manifest(directory: Path, label: str, data: dict[str, Any]) -> None:
    """Write one shard's ``manifest-<label>.json`` (atomically, stamped with the time)."""
    atomic_write_json(directory / f"manifest-{label}.json", {**data, "updated": time.time()})


def manifests(output_dir: str | Path, stage: str) -> list[dict[str, Any]]:
    directory = stage_dir(output_dir, stage)
    out = []
    for path in sorted(directory.glob("manifest-*.json")) if directory.is_dir() else []:
        with open(path, encoding="utf-8") as fh:
            out.append(json.load(fh))
    return out


def stage_status(output_dir: str | Path, stage: str) -> tuple[bool, str]:
    """Whether ``stage`` has finished on every shard, and if not, why."""
    found = manifests(output_dir, stage)
    if not found:
        return False, f"stage {stage!r} has not run yet (no {stage_dir(output_dir, stage)}/manifest-*.json)"
    unfinished = [m["shard"] for m in found if not m.get("finished")]
    if unfinished:
        return False, f"stage {stage!r} is not finished on shard(s) {', '.join(unfinished)}"
    by_n: dict[int, set[int]] = {}
    for m in found:
        if m.get("n_shards"):
            by_n.setdefault(m["n_shards"], set()).add(int(m["shard"].split("of")[0]))
    for n, have in by_n.items():
        missing = sorted(set(range(n)) - have)
        if missing:
            return False, f"stage {stage!r}: shard(s) {', '.join(f'{i}/{n}' for i in missing)} have not run yet"
    return True, ""


def stage_summary(output_dir: str | Path, stage: str) -> StageSummary:
    """Kept/dropped counts of a stage over all shards (from the committed parts)."""
    summary = StageSummary(stage)
    for done in read_done(stage_dir(output_dir, stage)):
        summary.items += len(done["items"])
        summary.kept += done["kept"]
        summary.dropped.update(done["dropped"])
    return summary
