"""KodCode-V1 rows everywhere: reading them (file, directory or hub id), and the rules the KodCode
pipeline applies to them, so data generation, SFT, GRPO, the judge and eval share one reading.

KodCode rows are (question, solution, pytest file) triplets. Two releases matter:

* ``KodCode/KodCode-V1`` (the RL release): ``style`` (``instruct``: a task in prose; ``complete``: a
  Python stub to finish), ``subset``, ``question_id`` (``{subset}_{prompt_id}_{I|C}``),
  ``question``, ``solution``, ``test``, ``test_info`` (the functions of the solution, by AST), the
  self-verification statistics ``gpt_pass_sequence`` / ``gpt_pass_trial_num`` / ``gpt_difficulty`` /
  ``gpt_pass_percentage``, ``trials``, ``chosen_trial`` and ``metadata``;
* ``KodCode/KodCode-V1-SFT-R1``: the same plus a reasoning model's reject-sampled answer in
  ``conversations`` (``<think>`` included) and ``r1_*`` statistics.

An older revision of the card names ``test`` ``test_code`` and ``question_id``
``conversation_id``; both spellings load (:func:`normalise_row`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from xcoder import pyast

STYLES = ("instruct", "complete")
STYLE_SUFFIX = {"instruct": "I", "complete": "C"}
# KodCode's difficulty rule (pipeline/utils.py): pass fraction >= 2/3 easy, < 1/3 hard.
DEFAULT_THRESHOLDS = {"easy": 2 / 3, "medium": 1 / 3}
SFT_RESPONSES = ("auto", "solution", "reasoning")
LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".arrow": "arrow", ".csv": "csv"}
_THINK = re.compile(r"<think>.*?</think>\s*", re.S)


# --------------------------------------------------------------------------------------------
# Rows


def is_kodcode_row(row: Mapping[str, Any]) -> bool:
    """KodCode rows carry the verified ``solution`` and its pytest file (``test``, or ``test_code``
    in the older layout)."""
    return "solution" in row and ("test" in row or "test_code" in row)


def is_kodcode_columns(columns: Any) -> bool:
    cols = set(columns)
    return "question" in cols and "solution" in cols and bool(cols & {"test", "test_code"})


def normalise_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with the current column names (``test``, ``question_id``) and a ``style`` (from the
    id's ``_C`` suffix when missing: KodCode's own combine step mislabels complete rows)."""
    out = dict(row)
    if out.get("test") in (None, "") and out.get("test_code") not in (None, ""):
        out["test"] = out["test_code"]
    if out.get("question_id") in (None, "") and out.get("conversation_id") not in (None, ""):
        out["question_id"] = out["conversation_id"]
    qid = str(out.get("question_id") or "")
    if not out.get("style"):
        out["style"] = "complete" if qid.endswith("_C") else "instruct"
    return out


def entry_point(test_info: Any) -> str | None:
    """The function the tests call: ``test_info[0]`` when there is exactly one (KodCode's rule)."""
    if isinstance(test_info, list) and len(test_info) == 1 and isinstance(test_info[0], Mapping):
        name = test_info[0].get("function_name")
        return str(name) if name else None
    return None


def question_id(subset: str, prompt_id: str, style: str) -> str:
    """``{subset}_{prompt_id}_{I|C}``, KodCode's id layout."""
    return f"{subset}_{prompt_id}_{STYLE_SUFFIX[style]}"


def other_style(style: str) -> str:
    return "complete" if style == "instruct" else "instruct"


def _parameters(args: ast.arguments) -> str:
    """``(a, b=1, *args, k=2, **kw)`` without annotations, as KodCode writes ``parameter_list``."""
    parts: list[str] = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, defaults):
        parts.append(arg.arg if default is None else f"{arg.arg}={ast.unparse(default)}")
    if args.vararg:
        parts.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        parts.append("*")
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        parts.append(arg.arg if default is None else f"{arg.arg}={ast.unparse(default)}")
    if args.kwarg:
        parts.append(f"**{args.kwarg.arg}")
    return "(" + ", ".join(parts) + ")"


def test_info_of(solution: str) -> list[dict[str, Any]] | None:
    """KodCode's ``test_info`` of a solution, from its AST (never run): every function (helpers,
    nested ones and methods too) with its parameters, declaration and docstring; None when the
    solution defines a class (KodCode's rule), [] when it does not parse."""
    if "class " in solution or "__init__" in solution:
        return None
    try:
        tree = pyast.parse(solution)
    except (SyntaxError, ValueError):
        return []
    info = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = _parameters(node.args)
            info.append(
                {
                    "function_name": node.name,
                    "parameter_list": params,
                    "function_declaration": f"def {node.name}{params}:",
                    "docstring": ast.get_docstring(node),
                }
            )
    return info


test_info_of.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def pass_percentage(sequence: list[int]) -> float:
    return round(sum(sequence) / len(sequence), 3) if sequence else 0.0


def difficulty_label(sequence: list[int], thresholds: Mapping[str, float] | None = None) -> str:
    """``easy`` / ``medium`` / ``hard`` from the share of self-verification attempts that passed
    (KodCode: at least 2/3 easy, below 1/3 hard)."""
    t = dict(DEFAULT_THRESHOLDS, **(thresholds or {}))
    p = sum(sequence) / len(sequence) if sequence else 0.0
    if p >= t["easy"] - 1e-9:
        return "easy"
    if p >= t["medium"] - 1e-9:
        return "medium"
    return "hard"


# --------------------------------------------------------------------------------------------
# Answers


def strip_think(text: str) -> str | None:
    """The answer without its ``<think>...</think>`` part; None when the reasoning never closes."""
    text = _THINK.sub("", text, count=1) if text.lstrip().startswith("<think>") else text
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1].lstrip()
    return None if "<think>" in text else text


def rename_entry_point(code: str, name: str | None) -> str:
    """KodCode's reject-sampling fix-up: when the program defines exactly one function and the row
    has one entry point of another name, rename the function (its definition and its calls)."""
    if not name:
        return code
    defined = re.findall(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", code, re.M)
    if len(defined) != 1 or defined[0] == name:
        return code
    return re.sub(rf"\b{re.escape(defined[0])}\b", name, code)


def reasoning_response(row: Mapping[str, Any]) -> str | None:
    """The assistant's answer of an SFT-release row (``conversations``, ShareGPT or chat turns)."""
    turns = row.get("conversations") or row.get("messages") or []
    for turn in reversed(list(turns)):
        if isinstance(turn, Mapping) and turn.get("from", turn.get("role")) in ("gpt", "assistant"):
            value = turn.get("value", turn.get("content"))
            return value if isinstance(value, str) else None
    return None


def sft_messages(
    row: Mapping[str, Any],
    *,
    response: str = "auto",
    keep_think: bool = True,
    system_prompt: str | None = None,
    where: str = "row",
) -> list[dict[str, str]]:
    """One KodCode row as an SFT chat: xcoder's KodCode prompt (:func:`xcoder.prompts.build_kodcode_messages`)
    then the answer. ``response``: ``solution`` (the verified solution in a fenced block),
    ``reasoning`` (the SFT release's reasoning answer, its ``<think>`` part kept or dropped by
    ``keep_think``) or ``auto`` (reasoning when the row has one)."""
    from xcoder.problem import problem_from_kodcode_row
    from xcoder.prompts import build_kodcode_messages

    if response not in SFT_RESPONSES:
        raise ValueError(f"KodCode SFT response must be one of {', '.join(SFT_RESPONSES)}, not {response!r}")
    problem = problem_from_kodcode_row(row, where=where)
    where = f"{where} (question_id={problem.question_id})"
    answer = reasoning_response(row) if response in ("auto", "reasoning") else None
    if response == "reasoning" and not answer:
        raise ValueError(f"{where}: no reasoning answer (a 'conversations' assistant turn) to train on")
    if answer is None:
        solution = str(row.get("solution") or "").strip()
        if not solution:
            raise ValueError(f"{where}: empty 'solution'")
        answer = f"```python\n{solution}\n```"
    elif not keep_think:
        stripped = strip_think(answer)
        if stripped is None or not stripped.strip():
            raise ValueError(f"{where}: the reasoning answer has no answer after its <think> part")
        answer = stripped.strip()
    return build_kodcode_messages(problem, system_prompt) + [{"role": "assistant", "content": answer}]


def rl_row(row: Mapping[str, Any], *, system_prompt: str | None = None, where: str = "row") -> dict[str, Any]:
    """One KodCode row as an xcoder RL row: ``prompt`` (chat), ``test_file`` (the pytest file the
    execution rewards run), an empty ``input_output``, ``question_id`` and metadata (style, subset,
    difficulty, ``pass_rate`` = the self-verification pass fraction, for curricula)."""
    from xcoder.problem import problem_from_kodcode_row
    from xcoder.prompts import build_kodcode_messages

    problem = problem_from_kodcode_row(row, where=where)
    rate = row.get("gpt_pass_percentage")
    return {
        "prompt": build_kodcode_messages(problem, system_prompt),
        "input_output": "",
        "test_file": problem.test_file,
        "question_id": problem.question_id,
        "style": str(problem.metadata.get("style") or ""),
        "subset": str(row.get("subset") or ""),
        "difficulty": problem.difficulty,
        "pass_rate": float(rate) if isinstance(rate, (int, float)) else None,
    }


# --------------------------------------------------------------------------------------------
# Sources


def iter_rows(source: str | Path, split: str | None = None) -> Iterator[tuple[str, Any]]:
    """``(where, row)`` for every row of a JSONL/JSON/Parquet file, a directory of them, or a hub
    dataset id (through ``datasets.load_dataset``; ``split`` defaults to ``train``). Bad JSONL
    lines come as ``(where, None)`` after an error text in ``where``."""
    from xcoder.io import iter_jsonl

    path = Path(source).expanduser()
    if path.is_file() and path.suffix.lower() == ".jsonl":
        for lineno, row, err in iter_jsonl(path):
            yield (err or f"{path}:{lineno}"), (None if err else row)
        return
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in LOCAL_SUFFIXES and p.is_file() and not p.name.startswith(".")
        )
        if not files:
            raise FileNotFoundError(f"{path}: no JSONL/JSON/Parquet files in this directory")
        for file in files:
            yield from iter_rows(file, split)
        return
    import datasets

    if path.is_file():
        builder = LOCAL_SUFFIXES.get(path.suffix.lower())
        if builder is None:
            raise ValueError(f"{path}: unknown file type (expected {', '.join(LOCAL_SUFFIXES)})")
        ds = datasets.load_dataset(builder, data_files=str(path), split="train")
        name = str(path)
    else:
        if str(source).startswith((".", "/")) or str(source).endswith(tuple(LOCAL_SUFFIXES)):
            raise FileNotFoundError(f"{source} does not exist")
        try:
            ds = datasets.load_dataset(str(source), split=split or "train")
        except Exception as exc:  # noqa: BLE001 - offline, unknown repo, bad split: one clear message
            raise ValueError(
                f"cannot load dataset {source!r} (split {split or 'train'}) with datasets.load_dataset: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            ) from None
        name = f"{source}[{split or 'train'}]"
    for i, row in enumerate(ds):
        yield f"{name} row {i}", row
