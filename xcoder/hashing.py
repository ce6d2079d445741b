"""Stable hashing and seed derivation, in one place.

Python's ``hash()`` is salted per process, so every id, fingerprint and seed that must be the same
across runs and machines is derived here from SHA-256 of a canonical JSON encoding.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical(*parts: Any) -> str:
    """The canonical text of ``parts``: JSON with sorted keys; non-JSON values by ``str``."""
    return json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)


def digest(text: str | bytes, length: int = 16) -> str:
    """The first ``length`` hex digits of SHA-256 of ``text``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:length]


def fingerprint(*parts: Any, length: int = 16) -> str:
    """A short stable hash of any JSON-able ``parts`` (configs, inputs): cache keys and state checks."""
    return digest(canonical(*parts), length)


def make_id(prefix: str, *parts: Any) -> str:
    """A short deterministic id, e.g. ``make_id("task", config_id, 0) -> "task-1f3a..."``."""
    return f"{prefix}-{fingerprint(*parts)}"


def stable_int(*parts: Any) -> int:
    """A 64-bit integer from ``parts`` joined as text (BLAKE2b): cheap per-call seeds, e.g. the tests a
    reward samples for a prompt at a step."""
    blob = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "big")


def seed_from_text(text: str) -> int:
    """A 31-bit seed from a text (fits every RNG's seed range)."""
    return int(digest(text, 8), 16) & 0x7FFFFFFF


def derive_seed(*parts: Any) -> int:
    """A stable 31-bit seed from a run seed and ids, e.g. ``derive_seed(run_seed, task_id, 3)``."""
    return seed_from_text(json.dumps(parts, sort_keys=True, default=str))


__all__ = ["canonical", "derive_seed", "digest", "fingerprint", "make_id", "seed_from_text", "stable_int"]
