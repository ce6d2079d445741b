"""Reading LLM answers in the stages: JSON objects and single Python programs, with the reason an
answer is unusable (truncated, refusal, no JSON, no/many code blocks, syntax error) as a
:class:`~data_gen.stage.Drop` so every stage counts failures the same way."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from data_gen.stage import Drop
from xcoder.extract import count_code_blocks, extract_code, strip_reasoning
from xcoder.llm import JSONExtractionError, extract_json

_REFUSAL = re.compile(
    r"\b(I can(?:'|no)t|I cannot|I'm sorry|I am sorry|I won't|I will not|unable to (?:help|assist|comply)|"
    r"as an AI)\b",
    re.IGNORECASE,
)


def looks_like_refusal(text: str) -> bool:
    """A short answer apologising or declining (checked only once no usable content was found)."""
    body = (strip_reasoning(text or "") or "").strip()  # unclosed reasoning: no answer
    return not body or (len(body) < 600 and bool(_REFUSAL.search(body)))


def json_answer(result: Any, index: int = 0, what: str = "json", expect: type = dict) -> Any:
    """Sample ``index`` of a ChatResult parsed as JSON, or ``Drop`` with a reason prefixed by ``what``."""
    text = result.texts[index]
    try:
        return extract_json(text, expect=expect)
    except JSONExtractionError:
        pass
    if result.finish_reasons[index] == "length":
        raise Drop(f"{what}:truncated")
    if looks_like_refusal(text):
        raise Drop(f"{what}:refusal")
    raise Drop(f"{what}:no_json")


def code_reason(text: str, finish_reason: str | None, drop_truncated: bool = True) -> tuple[str | None, str]:
    """``(code, "")`` when ``text`` holds exactly one parseable Python block, else ``(None, reason)``."""
    if finish_reason == "length" and drop_truncated:
        return None, "truncated"
    blocks = count_code_blocks(text, language="python")
    if blocks == 0:
        return None, "refusal" if looks_like_refusal(text) else "no_code_block"
    if blocks > 1:
        return None, "multiple_code_blocks"
    code = extract_code(text, language="python", allow_unterminated=not drop_truncated)
    if code is None:
        return None, "no_code_block"
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return None, "syntax_error"
    return code, ""


def code_answer(result: Any, index: int = 0, what: str = "code") -> str:
    """The single Python program of sample ``index``, or ``Drop`` with the reason."""
    code, reason = code_reason(result.texts[index], result.finish_reasons[index])
    if code is None:
        raise Drop(f"{what}:{reason}")
    return code


def as_text(value: Any) -> str | None:
    """A stdin/stdout value from a JSON answer: strings as they are, lists of lines joined,
    numbers printed; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return "\n".join(str(v) for v in value)
    return None


def with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def encode_args(value: Any, parameters: list[str]) -> str | None:
    """A functional test input in LCB encoding (one JSON value per line, in parameter order) from
    ``{"param": value}`` or ``[value, ...]``; None when it does not match ``parameters``."""
    if isinstance(value, dict):
        if set(value) != set(parameters):
            return None
        args = [value[p] for p in parameters]
    elif isinstance(value, list) and len(value) == len(parameters):
        args = value
    elif len(parameters) == 1 and not isinstance(value, dict):
        args = [value]
    else:
        return None
    return "\n".join(json.dumps(a, ensure_ascii=False) for a in args)


def valid_functional_input(text: str, n_args: int) -> bool:
    lines = [line for line in text.strip("\n").split("\n")]
    if len(lines) != n_args:
        return False
    try:
        for line in lines:
            json.loads(line)
    except ValueError:
        return False
    return True
