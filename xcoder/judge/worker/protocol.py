"""Framing between the judge's host and its worker: length-prefixed JSON over pipes.

The one module of the worker package the host imports (``sandbox.py``); the worker speaks the
same framing on its stdin/stdout. Standard library only, like the rest of the package.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

_HEADER = struct.Struct(">I")

# LiveCodeBench's import prelude: the modules star-imported before every program. The worker
# pre-imports them (prelude.py); the host builds the same prelude for the ``lcb`` semantics
# (xcoder/judge/lcb.py), so the one list lives here, in the module both sides share.
PRELUDE_MODULES = (
    "string",
    "re",
    "datetime",
    "collections",
    "heapq",
    "bisect",
    "copy",
    "math",
    "random",
    "statistics",
    "itertools",
    "functools",
    "operator",
    "io",
    "sys",
    "json",
)


def write_message(fd: int, obj: dict) -> None:
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
    buf = memoryview(_HEADER.pack(len(data)) + data)
    while buf:
        n = os.write(fd, buf)
        buf = buf[n:]


def read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("no answer from the judge worker")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("judge worker pipe closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, deadline: float | None = None) -> dict:
    (size,) = _HEADER.unpack(read_exact(fd, _HEADER.size, deadline))
    return json.loads(read_exact(fd, size, deadline).decode("utf-8", "surrogatepass"))
