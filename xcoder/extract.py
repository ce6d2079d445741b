"""The one code-extraction function of xcoder: completion text -> the program to judge.

Eval, rewards and data generation all call :func:`extract_code`, so a model is graded the same
way in RL as on the benchmark. The default follows LiveCodeBench: the *last* fenced block of the
answer. On top of LCB we handle what real completions contain: ``<think>`` reasoning (stripped
first, so code drafted while thinking is never graded), info strings such as ``py``/``Python3``,
a final fence cut off by the token limit, and chat-message lists as TRL passes them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

ExtractMode = Literal["last", "first", "longest"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

# Info strings we read as Python. An untagged fence counts as Python too (models often omit it).
PYTHON_TAGS = frozenset({"python", "py", "python3", "py3", "python2", "pypy", "pypy3"})

_OPEN_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([^\s`]*)[^`]*$")
_THINK_BLOCK = re.compile(re.escape(THINK_OPEN) + r".*?" + re.escape(THINK_CLOSE), re.DOTALL)


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its info string (lower-cased, may be empty), body, and whether the
    closing fence was present (False for a completion truncated inside the block)."""

    language: str
    code: str
    closed: bool


def completion_text(completion: Any) -> str | None:
    """The text to extract from: a string as is, or the last assistant message of a chat
    (``[{"role", "content"}, ...]``, content either a string or a list of text parts)."""
    if completion is None:
        return None
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, Sequence):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role", "assistant") == "assistant":
                return _content_text(message.get("content"))
        return None
    raise TypeError(f"cannot extract code from a {type(completion).__name__}; pass a str or chat messages")


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI-style content parts
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def strip_reasoning(text: str) -> str | None:
    """Remove ``<think>…</think>`` reasoning; None when reasoning is still open (no answer yet).

    A lone ``</think>`` (chat templates that put ``<think>`` into the prompt) means everything
    before it was reasoning.
    """
    text = _THINK_BLOCK.sub("", text)
    if THINK_CLOSE in text:
        text = text.rsplit(THINK_CLOSE, 1)[1]
    if THINK_OPEN in text:
        return None
    return text


def _language_tag(info: str) -> str:
    """``Python3`` -> ``python3``; ``python:main.py`` / ``{.python}`` -> ``python``."""
    words = re.findall(r"[a-z0-9+#]+", info.lower())
    return words[0] if words else ""


def find_code_blocks(text: str) -> list[CodeBlock]:
    """All fenced blocks in order. A fence closes on a line of at least as many of the same
    fence characters; a block still open at the end of the text is returned with closed=False."""
    blocks: list[CodeBlock] = []
    fence: str | None = None
    language = ""
    body: list[str] = []
    for line in text.split("\n"):
        if fence is None:
            m = _OPEN_FENCE.match(line)
            if m:
                fence, language, body = m.group(1), _language_tag(m.group(2)), []
            continue
        stripped = line.strip()
        if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            blocks.append(CodeBlock(language, "\n".join(body), True))
            fence = None
        elif fence[0] == "`" and line.rstrip().endswith(fence) and stripped != fence:
            # "    return x```": the model closed the fence on the last code line.
            body.append(line.rstrip()[: -len(fence)])
            blocks.append(CodeBlock(language, "\n".join(body), True))
            fence = None
        else:
            body.append(line)
    if fence is not None:
        blocks.append(CodeBlock(language, "\n".join(body), False))
    return blocks


def _answer_text(completion: Any, strip_think: bool) -> str | None:
    text = completion_text(completion)
    if text is None:
        return None
    if strip_think:
        return strip_reasoning(text)
    return text


def _is_language(block: CodeBlock, language: str | None) -> bool:
    if language is None or not block.language:
        return True
    if language.lower() == "python":
        return block.language in PYTHON_TAGS
    return block.language == language.lower()


def extract_code(
    completion: Any,
    mode: ExtractMode = "last",
    strip_think: bool = True,
    language: str | None = "python",
    allow_unterminated: bool = True,
) -> str | None:
    """The program in a completion, or None when there is none.

    Args:
        completion: model output text, or chat messages (the last assistant message is used).
        mode: which block to take: ``last`` (LiveCodeBench's rule), ``first`` or ``longest``.
        strip_think: drop ``<think>`` reasoning first; an unclosed ``<think>`` yields None.
        language: keep blocks tagged with this language or untagged (``python`` also accepts
            ``py``, ``python3``, ...); None keeps every block. Stops a trailing ```` ```text ````
            sample-output block from being graded as the program.
        allow_unterminated: accept a final block whose closing fence is missing (a completion
            cut by the token limit); its code is usually incomplete and fails honestly.
    """
    if mode not in ("last", "first", "longest"):
        raise ValueError(f"mode must be 'last', 'first' or 'longest', got {mode!r}")
    text = _answer_text(completion, strip_think)
    if text is None:
        return None
    candidates = [
        b
        for b in find_code_blocks(text)
        if b.code.strip() and _is_language(b, language) and (b.closed or allow_unterminated)
    ]
    if not candidates:
        return None
    if mode == "first":
        chosen = candidates[0]
    elif mode == "longest":
        chosen = max(candidates, key=lambda b: len(b.code))  # ties: the earliest
    else:
        chosen = candidates[-1]
    return chosen.code.strip("\n")


def count_code_blocks(completion: Any, strip_think: bool = True, language: str | None = None) -> int:
    """How many fenced blocks the answer has (unterminated one included), for format rewards
    such as "exactly one code block". Reasoning is not counted; an unclosed ``<think>`` gives 0."""
    text = _answer_text(completion, strip_think)
    if text is None:
        return 0
    return sum(1 for b in find_code_blocks(text) if _is_language(b, language))
