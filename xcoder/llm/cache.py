"""Persistent response cache: every rerun is free and every pipeline stage resumable.

Storage is one SQLite database in WAL mode, chosen over append-only JSONL because it gives us,
without code of our own:

* atomic commits: an entry is either entirely present or absent, so ``kill -9`` mid-write
  leaves no torn record and loses no committed one (the WAL is replayed on next open);
* safe concurrent use by many processes (e.g. ``--shard i/n`` workers on one file system,
  readers never block the writer in WAL mode) and, via one lock-guarded connection, by the many
  coroutines/threads of one process;
* O(1) indexed look-ups without loading the whole file into memory, however large it grows.

``synchronous=NORMAL`` (the default here) survives any process crash; pass ``durable=True``
(``synchronous=FULL``) to also survive power loss, at the cost of an fsync per entry. Keep the
file on a local disk: SQLite's locking is unreliable on some network file systems (NFS).

The key is a SHA-256 of the canonical JSON of (model, messages, sampling parameters incl. ``n``
and ``seed``); it deliberately omits the endpoint URL and API key, so a cache filled against one
server is reused against another serving the same model.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from xcoder.hashing import digest

KEY_VERSION = 1


def cache_key(model: str, messages: list[dict[str, Any]], params: Mapping[str, Any]) -> str:
    """A stable hash of what determines an answer. ``params`` holds sampling parameters (None
    values are dropped so that "unset" and "absent" agree); floats are normalised so 1 == 1.0."""

    def norm(value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, Mapping):
            return {str(k): norm(v) for k, v in value.items() if v is not None}
        if isinstance(value, (list, tuple)):
            return [norm(v) for v in value]
        return value

    payload = {"v": KEY_VERSION, "model": model, "messages": messages, "params": norm(dict(params))}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return digest(blob, 64)


class ResponseCache:
    """A key -> JSON-value store backed by SQLite (see the module docstring for why)."""

    def __init__(self, path: str | Path, *, durable: bool = False, timeout: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: autocommit; each put is its own transaction, committed at once.
        self._conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False)
        try:
            self._set_wal(timeout)
            self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                " key TEXT PRIMARY KEY, model TEXT NOT NULL, request TEXT NOT NULL,"
                " response TEXT NOT NULL, created REAL NOT NULL)"
            )
        except sqlite3.DatabaseError as err:
            self._conn.close()
            raise sqlite3.DatabaseError(f"response cache {self.path}: {err}") from err

    def _set_wal(self, timeout: float) -> None:
        """Switch to WAL. Two processes opening a new cache file at once can get SQLITE_BUSY here at
        once (SQLite does not wait on its busy timeout for a journal-mode change), so retry until
        ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def get(self, key: str) -> Any | None:
        """The stored value, or None on a miss."""
        with self._lock:
            row = self._conn.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, value: Any, *, model: str = "", request: Any = None) -> bool:
        """Store ``value`` unless the key exists already (first writer wins, so concurrent workers
        agree on one answer). ``request`` is kept for auditing. Returns True if written."""
        blob = json.dumps(value, ensure_ascii=False)
        req = json.dumps(request, ensure_ascii=False, sort_keys=True)
        with self._lock:
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO responses (key, model, request, response, created) VALUES (?, ?, ?, ?, ?)",
                (key, model, req, blob, time.time()),
            )
        return cur.rowcount == 1

    def __contains__(self, key: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone()
        return row is not None

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def entries(self) -> Iterator[tuple[str, Any, Any]]:
        """All (key, request, response) triples, for inspection and tests."""
        with self._lock:
            rows = self._conn.execute("SELECT key, request, response FROM responses").fetchall()
        for key, req, resp in rows:
            yield key, json.loads(req), json.loads(resp)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
