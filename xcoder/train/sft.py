"""Supervised fine-tuning on TRL: the parser, data loading/mixing and model setup behind
``recipes/sft.py``.

The recipe is TRL's own shape (``TrlParser`` over script arguments, ``SFTConfig``,
``ModelConfig`` and TRL's ``DatasetMixtureConfig``); what we add is here:

* rows in any of our formats become one chat format: the data-generation export (``messages``),
  X-Coder's released SFT data (``query``/``response``), TRL's ``prompt``/``completion``, ShareGPT
  ``conversations``, KodCode-V1 rows (``question`` -> ``solution``, or the SFT release's reasoning
  answer, ``<think>`` kept or dropped); from a local JSONL/JSON/Parquet/CSV file, a directory, or a
  hub dataset;
* mixtures with weights, using TRL's ``datasets:`` YAML list (``fraction`` is the weight), with
  every source converted *before* mixing so different layouts can be mixed;
* loss on the answer only, either as ``assistant_only_loss`` (``messages`` rows, needs
  ``{% generation %}`` markers in the chat template) or ``completion_only_loss``
  (``dataset_format: prompt_completion``); contradictory settings fail early;
* bf16/fp16 switched off on CPU-only machines (:mod:`xcoder.train.precision`), the tiny local
  model built on first use, a clear error for Liger kernels that are not installed.
"""

from __future__ import annotations

import importlib.util
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trl
from trl import ScriptArguments

from xcoder.dist import is_main_process
from xcoder.train.precision import MixedPrecisionFallback

logger = logging.getLogger(__name__)

DATASET_FORMATS = ("messages", "prompt_completion")
ROLES = ("system", "user", "assistant", "tool")
LOCAL_BUILDERS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv", ".arrow": "arrow"}
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


@dataclass
class SFTScriptArguments(ScriptArguments):
    """TRL's script arguments (``dataset_name``, splits, ...) plus ours."""

    dataset_format: str = field(
        default="messages",
        metadata={
            "help": "Format rows are converted to. 'messages': one chat per row (pair with "
            "assistant_only_loss). 'prompt_completion': the last assistant turn is the completion, "
            "everything before it the prompt (pair with completion_only_loss).",
            "choices": list(DATASET_FORMATS),
        },
    )
    build_tiny_model: bool = field(
        default=False,
        metadata={
            "help": "If model_name_or_path is a local directory without a model, build the tiny "
            "local model there first (xcoder.tiny_model). For CPU smoke runs."
        },
    )
    max_train_samples: int | None = field(
        default=None,
        metadata={"help": "Keep only the first N training rows after mixing (quick experiments)."},
    )
    kodcode_response: str = field(
        default="auto",
        metadata={
            "help": "Answer of KodCode rows: 'solution' (the verified solution in a code block), 'reasoning' (the "
            "reasoning answer of KodCode-V1-SFT-R1's conversations) or 'auto' (reasoning when the row has one).",
            "choices": ["auto", "solution", "reasoning"],
        },
    )
    kodcode_keep_think: bool = field(
        default=True,
        metadata={"help": "Keep the <think>...</think> part of KodCode reasoning answers (false: the answer only)."},
    )
    auto_kernels: bool = field(
        default=True,
        metadata={
            "help": "With attn_implementation unset or 'auto', pick the fastest attention that is correct for the "
            "batches (flash_attention_2 if installed on a GPU, else sdpa), and on a GPU turn on Liger kernels "
            "when liger-kernel is installed; the choice is printed. false: use the config as written."
        },
    )


@dataclass
class SFTConfig(MixedPrecisionFallback, trl.SFTConfig):
    """TRL's ``SFTConfig`` with bf16/fp16 switched off when there is no GPU (logged)."""


def make_parser():
    """The parser ``recipes/sft.py`` uses; the config check in the tests uses the same one."""
    from trl import DatasetMixtureConfig, ModelConfig, TrlParser

    return TrlParser((SFTScriptArguments, SFTConfig, ModelConfig, DatasetMixtureConfig))


def parse_args(args: list[str] | None = None):
    """Parse ``--config YAML`` plus command-line overrides. Unknown keys in the YAML are an error
    (a stale key must not be silently ignored)."""
    return make_parser().parse_args_and_config(args, fail_with_unknown_args=True)


# --------------------------------------------------------------------------------------------
# Loading


def load_source(
    path: str,
    *,
    name: str | None = None,
    data_dir: str | None = None,
    data_files: Any = None,
    split: str | None = None,
    streaming: bool = False,
):
    """``datasets.load_dataset`` that also takes a plain local file (``data.jsonl``) or glob as
    ``path``; everything else (hub names, directories, builder names) is passed through. Returns
    a ``Dataset`` when ``split`` is given, else a ``DatasetDict`` of all splits."""
    import datasets

    suffix = Path(path.rstrip("*")).suffix.lower() if not Path(path).is_dir() else ""
    if suffix in LOCAL_BUILDERS:
        is_glob = any(ch in path for ch in "*?[")
        if not is_glob and not Path(path).is_file():
            raise FileNotFoundError(f"dataset file {path} does not exist")
        if data_files is not None:
            raise ValueError(f"dataset {path}: give either a file path or data_files, not both")
        # A file holds one split, "train"; without ``split`` we return the DatasetDict.
        return datasets.load_dataset(LOCAL_BUILDERS[suffix], data_files=path, split=split, streaming=streaming)
    return datasets.load_dataset(
        path, name=name, data_dir=data_dir, data_files=data_files, split=split, streaming=streaming
    )


def _columns(ds) -> list[str]:
    if ds.column_names is not None:
        return list(ds.column_names)
    return list(next(iter(ds)).keys())  # streaming datasets may not know their columns


def detect_layout(columns: list[str], source: str) -> str:
    """Which row layout a dataset has, from its columns."""
    from xcoder.kodcode import is_kodcode_columns

    cols = set(columns)
    if "messages" in cols:
        return "messages"
    if is_kodcode_columns(cols):  # before ShareGPT: the SFT release has `conversations` too
        return "kodcode"
    if {"query", "response"} <= cols:
        return "query_response"
    if {"prompt", "completion"} <= cols:
        return "prompt_completion"
    if "conversations" in cols:
        return "conversations"
    raise ValueError(
        f"{source}: cannot tell the row layout from its columns {sorted(cols)}; expected 'messages' "
        "(data-generation export), 'query'+'response' (X-Coder SFT), 'prompt'+'completion' or "
        "'conversations' (ShareGPT) or KodCode's 'question'+'solution'+'test'"
    )


def _as_turns(value: Any, role: str) -> list[dict]:
    """A prompt/completion field: a string (one turn with ``role``) or already a list of turns."""
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    return list(value or [])


def row_to_messages(
    row: dict, layout: str, *, kodcode_response: str = "auto", kodcode_keep_think: bool = True, where: str = "row"
) -> list[dict]:
    """One row in any supported layout -> a list of ``{"role", "content"}`` turns (unchecked).
    KodCode rows get xcoder's KodCode prompt (:func:`xcoder.prompts.build_kodcode_messages`, the one
    eval uses) and the answer chosen by ``kodcode_response`` (see :func:`xcoder.kodcode.sft_messages`)."""
    if layout == "kodcode":
        from xcoder.kodcode import sft_messages
        from xcoder.prompts import DEFAULT_SYSTEM_PROMPT

        return sft_messages(
            row,
            response=kodcode_response,
            keep_think=kodcode_keep_think,
            system_prompt=DEFAULT_SYSTEM_PROMPT,
            where=where,
        )
    if layout == "messages":
        return list(row["messages"] or [])
    if layout == "query_response":
        return [{"role": "user", "content": row["query"]}, {"role": "assistant", "content": row["response"]}]
    if layout == "prompt_completion":
        return _as_turns(row["prompt"], "user") + _as_turns(row["completion"], "assistant")
    turns = []
    for turn in row["conversations"] or []:
        speaker = turn.get("from", turn.get("role")) if isinstance(turn, dict) else None
        turns.append({"role": SHAREGPT_ROLES.get(speaker, speaker), "content": turn.get("value", turn.get("content"))})
    return turns


def check_messages(messages: list[dict], where: str) -> list[dict]:
    """Keep only role/content, and insist on something to learn: a non-empty assistant turn."""
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"{where}: no messages")
    clean = []
    for i, turn in enumerate(messages):
        if not isinstance(turn, dict):
            raise ValueError(f"{where}: message {i} is a {type(turn).__name__}, not an object")
        role, content = turn.get("role"), turn.get("content")
        if role not in ROLES:
            raise ValueError(f"{where}: message {i} has role {role!r}; expected one of {', '.join(ROLES)}")
        if not isinstance(content, str):
            raise ValueError(f"{where}: message {i} ({role}) has content of type {type(content).__name__}, not text")
        clean.append({"role": role, "content": content})
    if not any(t["role"] == "assistant" and t["content"].strip() for t in clean):
        raise ValueError(f"{where}: no non-empty assistant message to train on")
    return clean


def _features(dataset_format: str):
    from datasets import Features, List, Value

    turns = List({"role": Value("string"), "content": Value("string")})
    if dataset_format == "messages":
        return Features({"messages": turns})
    return Features({"prompt": turns, "completion": turns})


def to_sft_format(
    ds,
    dataset_format: str,
    source: str,
    num_proc: int | None = None,
    *,
    kodcode_response: str = "auto",
    kodcode_keep_think: bool = True,
):
    """Convert a dataset of any supported layout to ``dataset_format`` with only its columns.

    A bad row raises ``ValueError`` naming the source and row index."""
    if dataset_format not in DATASET_FORMATS:
        raise ValueError(f"dataset_format must be one of {', '.join(DATASET_FORMATS)}, not {dataset_format!r}")
    columns = _columns(ds)
    layout = detect_layout(columns, source)

    def convert(row: dict, index: int) -> dict:
        where = f"{source} row {index}"
        messages = check_messages(
            row_to_messages(
                row, layout, kodcode_response=kodcode_response, kodcode_keep_think=kodcode_keep_think, where=where
            ),
            where,
        )
        if dataset_format == "messages":
            return {"messages": messages}
        last = max(i for i, t in enumerate(messages) if t["role"] == "assistant")
        if last != len(messages) - 1:
            raise ValueError(f"{where}: ends with a {messages[-1]['role']} turn after the last assistant turn")
        return {"prompt": messages[:last], "completion": messages[last:]}

    # Explicit features: otherwise ``map`` keeps an input column's old type for an output column
    # of the same name (extra keys in ``messages`` would survive as nulls), and sources could
    # not be concatenated.
    kwargs: dict[str, Any] = {"with_indices": True, "remove_columns": columns, "features": _features(dataset_format)}
    if num_proc and hasattr(ds, "__len__"):
        kwargs["num_proc"] = num_proc
    return ds.map(convert, **kwargs)


def mix(parts: list, fractions: list[float | None], sources: list[str], seed: int = 0):
    """Concatenate converted datasets; with fractions, as shares of the mixture. Returns the
    mixture and the number of rows taken from each part (None for streamed parts).

    Same rule as TRL's ``get_dataset``: fractions are normalised and the mixture is as large as
    possible without repeating rows of any source. Unlike TRL we take a seeded random subset of
    each source rather than its first rows, so a source sorted by difficulty or date is not cut
    from one end.
    """
    import datasets

    if any(f is not None for f in fractions):
        if any(f is None for f in fractions):
            missing = [s for s, f in zip(sources, fractions) if f is None]
            raise ValueError(f"set `fraction` for every dataset in the mixture or for none (missing: {missing})")
        if any(f < 0 for f in fractions) or sum(fractions) <= 0:
            raise ValueError(f"dataset fractions must be non-negative with a positive sum, got {fractions}")
        if any(not isinstance(p, datasets.Dataset) for p in parts):
            raise ValueError("dataset fractions are not supported with streaming datasets")
        weights = [f / sum(fractions) for f in fractions]
        total = min(len(p) / w for p, w in zip(parts, weights) if w > 0)
        parts = [p.shuffle(seed=seed).select(range(min(len(p), round(w * total)))) for p, w in zip(parts, weights)]
    sizes = [len(p) if isinstance(p, datasets.Dataset) else None for p in parts]
    return (datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]), sizes


def _report(rows: list[tuple[str, str, str]]) -> None:
    if not is_main_process():
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="SFT data")
    for col in ("source", "layout", "rows used"):
        table.add_column(col, justify="right" if col == "rows used" else "left")
    for row in rows:
        table.add_row(*row)
    Console(stderr=True).print(table)


def load_sft_dataset(script_args: SFTScriptArguments, dataset_args, training_args=None):
    """Load, convert and mix the training data; returns a ``DatasetDict`` with ``train`` and,
    when an eval split exists, ``test``. In a multi-process launch the main process goes first
    and the others reuse its ``datasets`` cache."""
    context = training_args.main_process_first(desc="loading SFT data") if training_args is not None else nullcontext()
    with context:
        return _load_sft_dataset(script_args, dataset_args, training_args)


def _load_sft_dataset(script_args: SFTScriptArguments, dataset_args, training_args):
    import datasets

    seed = getattr(training_args, "seed", 0)
    num_proc = getattr(training_args, "dataset_num_proc", None)
    fmt = script_args.dataset_format
    kodcode = {"kodcode_response": script_args.kodcode_response, "kodcode_keep_think": script_args.kodcode_keep_think}
    report: list[tuple[str, str, str]] = []
    if dataset_args is not None and dataset_args.datasets:
        if script_args.dataset_name:
            logger.warning("both `datasets` and `dataset_name` are set; using `datasets` and ignoring dataset_name")
        parts, sources = [], []
        for i, cfg in enumerate(dataset_args.datasets):
            source = f"datasets[{i}] ({cfg.path})"
            ds = load_source(
                cfg.path,
                name=cfg.name,
                data_dir=cfg.data_dir,
                data_files=cfg.data_files,
                split=cfg.split,
                streaming=dataset_args.streaming,
            )
            if cfg.columns is not None:
                ds = ds.select_columns(cfg.columns)
            layout = detect_layout(_columns(ds), source)
            parts.append(to_sft_format(ds, fmt, source, num_proc, **kodcode))
            sources.append(source)
            report.append((source, layout, ""))
        fractions = [cfg.fraction for cfg in dataset_args.datasets]
        mixed, used = mix(parts, fractions, sources, seed=seed)
        report = [(s, lay, "streamed" if n is None else f"{n:,}") for (s, lay, _), n in zip(report, used)]
        if dataset_args.test_split_size is not None:
            result = mixed.train_test_split(test_size=dataset_args.test_split_size, seed=seed)
        else:
            result = datasets.DatasetDict({"train": mixed})
    elif script_args.dataset_name:
        loaded = load_source(
            script_args.dataset_name, name=script_args.dataset_config, streaming=script_args.dataset_streaming
        )
        train_split, test_split = script_args.dataset_train_split, script_args.dataset_test_split
        if train_split not in loaded:
            raise ValueError(
                f"dataset {script_args.dataset_name} has no split {train_split!r} (it has {sorted(loaded)}); "
                "set dataset_train_split"
            )
        result = {}
        strategy = getattr(training_args, "eval_strategy", "no")
        wants_eval = training_args is None or getattr(strategy, "value", strategy) != "no"
        for key, split in (("train", train_split), ("test", test_split)):
            if split in loaded and (key == "train" or wants_eval):  # skip converting an unused eval split
                source = f"{script_args.dataset_name}[{split}]"
                layout = detect_layout(_columns(loaded[split]), source)
                result[key] = to_sft_format(loaded[split], fmt, source, num_proc, **kodcode)
                n = result[key].num_rows if hasattr(result[key], "num_rows") else None
                report.append((source, layout, "streamed" if n is None else f"{n:,}"))
        result = (datasets.IterableDatasetDict if script_args.dataset_streaming else datasets.DatasetDict)(result)
    else:
        raise ValueError("no training data: set `dataset_name` or a `datasets:` list in the config")

    if script_args.max_train_samples is not None:
        n = script_args.max_train_samples
        train = result["train"]
        result["train"] = train.take(n) if not hasattr(train, "select") else train.select(range(min(n, len(train))))
        report.append(("max_train_samples", "", f"{n:,}"))
    _report(report)
    return result


# --------------------------------------------------------------------------------------------
# Model and options


def check_options(script_args: SFTScriptArguments, training_args) -> None:
    """Fail early on settings that would otherwise be silently ignored or fail deep in training."""
    fmt = script_args.dataset_format
    if training_args.completion_only_loss and fmt != "prompt_completion":
        raise ValueError(
            "completion_only_loss: true needs dataset_format: prompt_completion; with chat 'messages' "
            "rows use assistant_only_loss: true instead"
        )
    if training_args.packing and training_args.max_length is None:
        raise ValueError("packing needs max_length (the length of each packed sequence)")
    if getattr(training_args, "use_liger_kernel", False) and importlib.util.find_spec("liger_kernel") is None:
        raise ImportError(
            "use_liger_kernel: true needs the liger-kernel package (GPU only): pip install 'xcoder[liger]', "
            "or set use_liger_kernel: false"
        )
    if fmt == "messages" and not training_args.assistant_only_loss:
        logger.info("assistant_only_loss is off: the loss covers the prompt tokens too")


def make_trainer(model, training_args, train_dataset, eval_dataset=None, model_args=None, processing_class=None):
    """The recipe's ``SFTTrainer`` (``model`` a path/name, or a model object as the throughput
    benchmark passes), with quantization and PEFT from ``model_args``."""
    from trl import SFTTrainer, get_peft_config, get_quantization_config

    kwargs: dict[str, Any] = {}
    if model_args is not None:
        kwargs.update(quantization_config=get_quantization_config(model_args), peft_config=get_peft_config(model_args))
    return SFTTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=processing_class,
        **kwargs,
    )


def prepare_model(script_args: SFTScriptArguments, training_args, model_args, liger: bool = True) -> str:
    """Resolve the model to fine-tune and set ``training_args.model_init_kwargs`` as TRL's own
    script does; choose attention and kernels (:mod:`xcoder.train.attention`; ``liger``: may turn
    Liger kernels on); build the tiny local model first when asked to. Returns the model path/name."""
    from xcoder.tiny_model import build_tiny_model, holds_model
    from xcoder.train.attention import apply_kernel_choice

    name = model_args.model_name_or_path
    if not name:
        raise ValueError("model_name_or_path is required (a hub name or a local model directory)")
    if script_args.build_tiny_model and not holds_model(name):
        context = training_args.main_process_first(desc="building the tiny model") if training_args else nullcontext()
        with context:
            build_tiny_model(name)  # idempotent and atomic: other ranks find it built
    apply_kernel_choice(script_args, training_args, model_args, liger=liger)
    kwargs: dict[str, Any] = {
        "revision": model_args.model_revision,
        "trust_remote_code": training_args.trust_remote_code,
        "attn_implementation": model_args.attn_implementation,
        "dtype": model_args.dtype,
    }
    if training_args.model_init_kwargs:
        kwargs.update(training_args.model_init_kwargs)
    training_args.model_init_kwargs = kwargs
    return name
