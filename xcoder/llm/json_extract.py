"""Pull a JSON value out of an LLM answer that may not be pure JSON.

Servers without structured output (and reasoning models even with it) wrap JSON in prose,
``<think>`` blocks or Markdown fences. We try, in order: the whole answer; fenced blocks
(```` ```json ```` first, then untagged); the first ``{...}``/``[...]`` that parses as a complete
value (a real JSON parser decides where it ends, so braces inside strings do not confuse us).
No "repair" of invalid JSON is attempted: a wrong guess would silently corrupt data.
"""

from __future__ import annotations

import json
import re
from typing import Any

from xcoder.extract import strip_reasoning

_OPEN_RE = re.compile(r"[{\[]")
_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)


class JSONExtractionError(ValueError):
    """No JSON value of the expected kind could be found; the message quotes the answer's start."""


def _matches(value: Any, expect: type | tuple[type, ...] | None) -> bool:
    return expect is None or isinstance(value, expect)


def extract_json(text: str, expect: type | tuple[type, ...] | None = (dict, list)) -> Any:
    """Return the first JSON value in ``text`` that is an instance of ``expect`` (``None`` accepts
    any JSON value, including bare numbers/strings when the whole answer is one).

    Raises :class:`JSONExtractionError` when nothing parses.
    """
    if not isinstance(text, str):
        raise JSONExtractionError(f"expected a string answer, got {type(text).__name__}")
    body = strip_reasoning(text)
    if body is None:
        raise JSONExtractionError(f"the answer's reasoning never closed (no </think>): {text[:80]!r}")
    body = body.strip()
    candidates: list[str] = [body]
    fences = _FENCE_RE.findall(body)
    candidates += [content for lang, content in fences if lang.lower() in ("json", "jsonc")]
    candidates += [content for lang, content in fences if lang.lower() not in ("json", "jsonc")]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if _matches(value, expect):
            return value
    # raw_decode parses one value from a position and ignores what follows; it is the C scanner,
    # so trying every bracket stays fast even on long answers full of code.
    decoder = json.JSONDecoder()
    for match in _OPEN_RE.finditer(body):
        try:
            value, _ = decoder.raw_decode(body, match.start())
        except ValueError:
            continue
        if _matches(value, expect):
            return value
    excerpt = body[:200].replace("\n", "\\n")
    kind = (
        "JSON"
        if expect is None
        else "JSON " + "/".join(t.__name__ for t in (expect if isinstance(expect, tuple) else (expect,)))
    )
    raise JSONExtractionError(f"no {kind} found in answer ({len(body)} chars): {excerpt!r}")
