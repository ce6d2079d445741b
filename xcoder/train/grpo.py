"""GRPO on TRL: the parser, RL data loading and checks behind ``recipes/grpo.py``.

The recipe is TRL's own shape (``TrlParser`` over script arguments, ``GRPOConfig`` and
``ModelConfig``); the reward functions come from the ``rewards`` package, which the recipe script
imports (the core never does). What we add here:

* RL rows in every layout we meet become one: ``prompt`` (chat messages) plus ``input_output``
  (tests as JSON, normalised so functional inputs are LCB text) plus ``question_id``:
  - ``rl``: our data-generation export (``prompt`` + ``input_output`` + metadata, kept as is);
  - ``xcoder``: X-Coder's released verl parquet (``prompt``, ``id``, and tests in
    ``input_output`` -- possibly JSON inside a JSON string -- or ``selected_uts`` for the rows
    taken from LiveCodeBench);
  - ``lcb``: LiveCodeBench problems (``public_test_cases``/``private_test_cases``) and
  - ``problems``: ``input_output`` problem rows without a prompt; for both the prompt is built
    with ``xcoder.prompts``, the one prompt eval uses;
  - ``kodcode``: KodCode-V1 rows (``question``, ``solution``, pytest file ``test``): the prompt is
    ``xcoder.prompts.build_kodcode_messages``, the tests go to a ``test_file`` column that the
    execution rewards run as a unit-test problem (``input_output`` is then empty);
* an optional curriculum: rows sorted by a column such as a pass rate, with shuffling off;
* dynamic sampling and an online curriculum (``GroupSamplingOptions``) and an SFT replay term
  (``xcoder.train.replay.ReplayOptions``), run by ``xcoder.train.grpo_trainer.GroupSamplingGRPOTrainer``,
  all off by default;
* prompts longer than ``max_prompt_tokens`` dropped up front (TRL no longer truncates prompts);
* fail-early checks: a missing local model (with the command that makes it), vLLM on a CPU.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import trl
from trl import ScriptArguments

from xcoder.config import help_field
from xcoder.kodcode import is_kodcode_columns
from xcoder.kodcode import rl_row as kodcode_rl_row
from xcoder.problem import ProblemFormatError, check_test_file, parse_input_output, problem_from_row
from xcoder.prompts import DEFAULT_SYSTEM_PROMPT, build_messages
from xcoder.train.precision import MixedPrecisionFallback, cpu_only
from xcoder.train.replay import ReplayOptions

logger = logging.getLogger(__name__)

RL_LAYOUTS = ("auto", "rl", "xcoder", "lcb", "problems", "kodcode")
ROLES = ("system", "user", "assistant")
XCODER_MARKERS = ("selected_uts", "prompter_type")
# Columns kept from converted (non-``rl``) layouts besides prompt/input_output/question_id.
KEPT_COLUMNS = ("difficulty", "platform", "checker", "pass_rate", "data_source")


CURRICULA = ("none", "online")


@dataclass
class GroupSamplingOptions:
    """Dynamic sampling and the online curriculum (``xcoder.train.grpo_trainer``), both off by default.

    Why: a group whose completions all get the same reward has zero advantage, so it costs a
    generation and teaches nothing; on hard code data most groups are all-fail early and all-pass
    late. Dynamic sampling (DAPO) replaces such groups with fresh ones; the online curriculum
    draws tasks whose running pass rate is in the informative band more often."""

    dynamic_sampling: bool = help_field(
        "Drop groups whose rewards are all equal and refill the generation batch with groups of "
        "fresh prompts, up to dynamic_sampling_max_rounds extra generation rounds; past that budget the "
        "batch is padded with zero-std groups (zero advantage). Logs groups/all_pass, groups/all_fail, "
        "groups/mixed and dynamic_sampling/rounds.",
        default=False,
    )
    dynamic_sampling_max_rounds: int = help_field(
        "Extra generation rounds per generation batch that dynamic sampling may spend.", default=3
    )
    curriculum: str = field(
        default="none",
        metadata={
            "help": "'online': sample tasks with weight p(1-p) + curriculum_min_weight from a running pass "
            "rate p per task (question_id), updated from the rewards; 'none': TRL's shuffled order.",
            "choices": list(CURRICULA),
        },
    )
    curriculum_ema: float = help_field(
        "Weight of a task's newest group pass rate in its running pass rate (EMA).", default=0.5
    )
    curriculum_prior: float = help_field(
        "Pass rate assumed for a task not seen yet (0.5: the highest weight, so unseen tasks are tried early).",
        default=0.5,
    )
    curriculum_min_weight: float = help_field(
        "Added to every task's weight, so all-pass and all-fail tasks are still "
        "drawn now and then (their pass rate may have moved).",
        default=0.02,
    )
    pass_reward_threshold: float | None = help_field(
        "What counts as a pass for the running pass rates, the all-pass/all-fail group counts and "
        "group_log. Unset: every execution reward at its full mark, i.e. the program passed all its tests "
        "(binary/pass_rate/threshold 1, xcoder_graded its scale 5; shaping rewards are ignored); without an "
        "execution reward, a total reward of 1. A number: the total weighted reward reaches it.",
        default=None,
    )

    balance_by: str | None = help_field(
        "A dataset column whose values get equal shares of the prompts drawn (e.g. 'source', the task "
        "family in our procedural export, or a topic tag): each generation batch draws its prompts with "
        "weight 1 / (rows sharing the value), so a value with many rows does not dominate the updates. "
        "Rows without the column form one group. Unset: TRL's shuffled order (or the curriculum's weights).",
        default=None,
    )

    group_log: bool = help_field(
        "Append every scored group (step, task, pass rate, mean reward) to output_dir/groups.jsonl and log "
        "groups/all_pass, all_fail and mixed: the training reward per task, so a run that visits a task "
        "again shows whether it got better at it, whichever prompts a step happened to draw.",
        default=False,
    )

    def check_group_sampling(self) -> None:
        if self.curriculum not in CURRICULA:
            raise ValueError(f"curriculum must be one of {', '.join(CURRICULA)}, not {self.curriculum!r}")
        if self.dynamic_sampling_max_rounds < 0:
            raise ValueError("dynamic_sampling_max_rounds must be >= 0")
        if not 0.0 < self.curriculum_ema <= 1.0:
            raise ValueError(f"curriculum_ema must be in (0, 1], got {self.curriculum_ema}")
        if not 0.0 <= self.curriculum_prior <= 1.0:
            raise ValueError(f"curriculum_prior must be in [0, 1], got {self.curriculum_prior}")
        if self.curriculum_min_weight <= 0:
            raise ValueError(f"curriculum_min_weight must be positive, got {self.curriculum_min_weight}")

    def group_sampling(self) -> GroupSamplingOptions:
        """These options alone (what the trainer takes)."""
        return GroupSamplingOptions(**{f.name: getattr(self, f.name) for f in fields(GroupSamplingOptions)})

    @property
    def group_sampling_enabled(self) -> bool:
        return self.dynamic_sampling or self.curriculum != "none"

    @property
    def custom_sampler(self) -> bool:
        """Whether the trainer draws prompts itself (curriculum or balance) instead of TRL's shuffle."""
        return self.curriculum != "none" or bool(self.balance_by)


@dataclass
class GRPOScriptArguments(ReplayOptions, GroupSamplingOptions, ScriptArguments):
    """TRL's script arguments (``dataset_name``, splits, ...) plus the data, reward, group-sampling and
    SFT-replay options."""

    dataset_files: list[str] | None = help_field(
        "Local data files (JSONL/JSON/Parquet, globs allowed), used in this order instead of "
        "dataset_name, e.g. X-Coder's rl_tasks_easy.parquet then part_0000..0003.parquet.",
        default=None,
    )
    dataset_format: str = field(
        default="auto",
        metadata={
            "help": "Row layout: 'rl' (prompt + input_output or test_file, our export), 'xcoder' (X-Coder's "
            "verl parquet), 'lcb' (LiveCodeBench rows), 'problems' (input_output rows without a prompt), "
            "'kodcode' (KodCode-V1 rows: question, solution, pytest file), or 'auto' (from the columns).",
            "choices": list(RL_LAYOUTS),
        },
    )
    system_prompt: str | None = help_field(
        "System prompt for prompts built from lcb/problems rows (null: none).", default=DEFAULT_SYSTEM_PROMPT
    )
    reward_funcs: list[str] = help_field(
        "Reward names (rewards.available_rewards()) or import paths package.module:function.",
        default_factory=lambda: ["binary"],
    )
    reward_options: dict[str, Any] | str | None = help_field(
        "Options of the rewards: shared keys (max_tests, timeout, ...), per-reward mappings under "
        "a reward's name, and `judge` (JudgeConfig fields). See docs/rewards.md.",
        default=None,
    )
    async_rewards: bool = help_field(
        "Use the async form of the built-in rewards (TRL awaits them concurrently).", default=False
    )
    curriculum_column: str | None = help_field(
        "Train in the order of this column (e.g. a pass rate); turns shuffle_dataset off.", default=None
    )
    curriculum_descending: bool = help_field(
        "Sort the curriculum column high to low (highest pass rate = easiest first).", default=True
    )
    max_prompt_tokens: int | None = help_field(
        "Drop rows whose rendered prompt is longer than this many tokens.", default=None
    )
    max_train_samples: int | None = help_field("Keep only the first N training rows (after ordering).", default=None)
    skip_invalid_rows: bool = help_field(
        "Drop rows that cannot be converted (logged with a count) instead of stopping at the first.", default=False
    )
    dataset_num_proc: int | None = help_field(
        "Processes for converting and filtering the data (None: one).", default=None
    )
    build_tiny_model: bool = help_field(
        "Build the tiny local model at model_name_or_path if missing (plumbing tests only: an "
        "untrained model earns no reward; point at an SFT output instead).",
        default=False,
    )
    auto_kernels: bool = help_field(
        "With attn_implementation unset or 'auto', pick the fastest correct attention "
        "(flash_attention_2 if installed on a GPU, else sdpa; printed). Liger is never switched on "
        "here: set use_liger_kernel. false: use the config as written.",
        default=True,
    )


@dataclass
class GRPOConfig(MixedPrecisionFallback, trl.GRPOConfig):
    """TRL's ``GRPOConfig`` with bf16/fp16 switched off when there is no GPU (logged)."""


def make_parser():
    """The parser ``recipes/grpo.py`` uses; the config check in the tests uses the same one."""
    from trl import ModelConfig, TrlParser

    return TrlParser((GRPOScriptArguments, GRPOConfig, ModelConfig))


def parse_args(args: list[str] | None = None):
    """Parse ``--config YAML`` plus command-line overrides; unknown YAML keys are an error."""
    return make_parser().parse_args_and_config(args, fail_with_unknown_args=True)


# --------------------------------------------------------------------------------------------
# Rows


def detect_rl_layout(columns: list[str], source: str) -> str:
    cols = set(columns)
    if "prompt" in cols and cols & set(XCODER_MARKERS):
        return "xcoder"
    if "prompt" in cols and cols & {"input_output", "test_file"}:
        return "rl"
    if is_kodcode_columns(cols):
        return "kodcode"
    if cols & {"public_test_cases", "private_test_cases"}:
        return "lcb"
    if "input_output" in cols:
        return "problems"
    raise ValueError(
        f"{source}: cannot tell the RL row layout from its columns {sorted(cols)}; expected 'prompt' + "
        "'input_output' (our RL rows), X-Coder's verl parquet (prompt + selected_uts/prompter_type), "
        "LiveCodeBench rows (public_test_cases/private_test_cases), input_output problem rows or KodCode rows "
        "(question + solution + test)"
    )


def _json_value(value: Any, where: str, name: str) -> Any:
    """Decode JSON text, also JSON nested in a JSON string (X-Coder stores some tests so)."""
    for _ in range(3):
        if not isinstance(value, (str, bytes)):
            return value
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ProblemFormatError(f"{where}: field {name!r} is not valid JSON ({exc})") from None
    return value


def xcoder_tests(row: dict, where: str) -> Any:
    """The ``input_output`` of an X-Coder RL row: ``selected_uts.input_output`` (rows from
    LiveCodeBench) or ``input_output``."""
    if row.get("selected_uts") not in (None, ""):
        uts = _json_value(row["selected_uts"], where, "selected_uts")
        if not isinstance(uts, dict) or "input_output" not in uts:
            raise ProblemFormatError(f"{where}: 'selected_uts' has no 'input_output'")
        return _json_value(uts["input_output"], where, "selected_uts.input_output")
    tests = _json_value(row.get("input_output"), where, "input_output")
    if isinstance(tests, dict) and "test_cases" in tests and "inputs" not in tests:
        raise ProblemFormatError(
            f"{where}: LeetCode assert-style tests (input_output.test_cases) are code, not input/output pairs, "
            "and cannot be judged here; drop these rows (skip_invalid_rows: true)"
        )
    return tests


def check_prompt(prompt: Any, where: str) -> Any:
    """A prompt is text or chat messages ending with a user turn; keep only role/content."""
    if isinstance(prompt, str):
        if not prompt.strip():
            raise ValueError(f"{where}: empty prompt")
        return prompt
    if not isinstance(prompt, (list, tuple)) or not prompt:
        raise ValueError(f"{where}: 'prompt' must be text or a non-empty list of chat messages")
    clean = []
    for i, turn in enumerate(prompt):
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise ValueError(
                f"{where}: prompt message {i} must be {{'role': one of {ROLES}, 'content': text}}, got {turn!r:.120}"
            )
        clean.append({"role": turn["role"], "content": turn["content"]})
    if clean[-1]["role"] != "user":
        raise ValueError(f"{where}: the prompt's last message is a {clean[-1]['role']} turn; it must be the user's")
    return clean


def _normalised_tests(value: Any, where: str) -> str:
    tests, fn_name = parse_input_output(value, where=where)
    io_: dict[str, Any] = {"inputs": [t.input for t in tests], "outputs": [t.output for t in tests]}
    if fn_name:
        io_["fn_name"] = fn_name
    return json.dumps(io_)


def to_rl_row(row: dict, layout: str, where: str, system_prompt: str | None = DEFAULT_SYSTEM_PROMPT) -> dict:
    """One row of any layout -> ``{"prompt", "input_output", "question_id", ...}``.

    ``rl`` rows keep every other column (metadata); converted layouts keep only the columns in
    ``KEPT_COLUMNS``. Raises ``ValueError`` naming the row when it cannot be used."""
    if layout in ("rl", "xcoder"):
        qid = row.get("question_id", row.get("id"))
        if qid in (None, ""):
            raise ValueError(f"{where}: no 'question_id' (or 'id')")
        where = f"{where} (question_id={qid})"
        prompt = check_prompt(row.get("prompt"), where)
        out = dict(row) if layout == "rl" else {k: row[k] for k in KEPT_COLUMNS if k in row}
        if layout == "rl" and row.get("test_file"):  # a unit-test problem (e.g. our KodCode export)
            out.update(prompt=prompt, test_file=check_test_file(row["test_file"], where=where), question_id=str(qid))
            out["input_output"] = ""
            return out
        raw = xcoder_tests(row, where) if layout == "xcoder" else row.get("input_output")
        out.update(prompt=prompt, input_output=_normalised_tests(raw, where), question_id=str(qid))
        return out
    if layout == "kodcode":
        return kodcode_rl_row(row, system_prompt=system_prompt, where=where)
    if layout in ("lcb", "problems"):
        problem = problem_from_row(row, where=where)
        if not problem.question_content.strip():
            raise ValueError(
                f"{where} (question_id={problem.question_id}): no problem statement to build a prompt from"
            )
        out = {k: row[k] for k in KEPT_COLUMNS if k in row}
        out.update(
            prompt=build_messages(problem, system_prompt),
            input_output=json.dumps(problem.to_input_output()),
            question_id=problem.question_id,
        )
        return out
    raise ValueError(f"unknown RL row layout {layout!r}; expected one of {', '.join(RL_LAYOUTS[1:])}")


def to_rl_dataset(
    ds, layout: str, source: str, system_prompt: str | None, skip_invalid: bool = False, num_proc: int | None = None
):
    """Convert a ``datasets.Dataset``; returns ``(dataset, layout, n_dropped)``."""
    columns = list(ds.column_names)
    if layout == "auto":
        layout = detect_rl_layout(columns, source)

    def convert(row: dict, index: int) -> dict:
        where = f"{source} row {index}"
        try:
            out = to_rl_row(row, layout, where, system_prompt)
        except ValueError as exc:  # ProblemFormatError is a ValueError
            if not skip_invalid:
                raise
            logger.warning("dropping %s", exc)
            blank = {"prompt": None, "input_output": None, "question_id": None, "_invalid": True}
            return {**blank, "test_file": None} if layout == "kodcode" else blank
        out["_invalid"] = False
        return out

    remove = [] if layout == "rl" else columns
    converted = ds.map(
        convert, with_indices=True, remove_columns=remove, num_proc=num_proc, desc=f"converting {source}"
    )
    n = len(converted)
    converted = converted.filter(lambda r: not r["_invalid"]).remove_columns("_invalid")
    return converted, layout, n - len(converted)


# --------------------------------------------------------------------------------------------
# Loading


def _report(rows: list[tuple[str, ...]]) -> None:
    from xcoder.dist import is_main_process

    if not is_main_process():
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="GRPO data")
    for col in ("source", "layout", "rows", "dropped"):
        table.add_column(col, justify="left" if col in ("source", "layout") else "right")
    for row in rows:
        table.add_row(*row)
    Console(stderr=True).print(table)


def load_rl_dataset(script_args: GRPOScriptArguments, training_args=None, tokenizer=None):
    """Load, convert, order and filter the RL data; returns a ``DatasetDict`` with ``train``
    and, when the source has the test split, ``test``. The main process goes first."""
    context = training_args.main_process_first(desc="loading RL data") if training_args is not None else nullcontext()
    with context:
        return _load_rl_dataset(script_args, training_args, tokenizer)


def _load_rl_dataset(script_args: GRPOScriptArguments, training_args, tokenizer):
    import datasets

    from xcoder.train.sft import load_source

    if script_args.dataset_streaming:
        raise ValueError("dataset_streaming is not supported for GRPO (the rows are converted and ordered up front)")
    num_proc = script_args.dataset_num_proc
    convert = {
        "system_prompt": script_args.system_prompt,
        "skip_invalid": script_args.skip_invalid_rows,
        "num_proc": num_proc,
    }
    report: list[tuple[str, ...]] = []
    splits: dict[str, Any] = {}
    if script_args.dataset_files:
        if script_args.dataset_name:
            logger.warning("both dataset_files and dataset_name are set; using dataset_files")
        parts = []
        for path in script_args.dataset_files:
            ds, layout, dropped = to_rl_dataset(
                load_source(path, split="train"), script_args.dataset_format, path, **convert
            )
            parts.append(ds)
            report.append((path, layout, f"{len(ds):,}", f"{dropped:,}"))
        splits["train"] = datasets.concatenate_datasets(align_columns(parts)) if len(parts) > 1 else parts[0]
    elif script_args.dataset_name:
        loaded = load_source(script_args.dataset_name, name=script_args.dataset_config)
        if script_args.dataset_train_split not in loaded:
            raise ValueError(
                f"dataset {script_args.dataset_name} has no split {script_args.dataset_train_split!r} "
                f"(it has {sorted(loaded)}); set dataset_train_split"
            )
        for key, split in (("train", script_args.dataset_train_split), ("test", script_args.dataset_test_split)):
            if split in loaded:
                source = f"{script_args.dataset_name}[{split}]"
                splits[key], layout, dropped = to_rl_dataset(
                    loaded[split], script_args.dataset_format, source, **convert
                )
                report.append((source, layout, f"{len(splits[key]):,}", f"{dropped:,}"))
    else:
        raise ValueError("no training data: set dataset_name or dataset_files in the config")

    if script_args.max_prompt_tokens is not None:
        if tokenizer is None:
            raise ValueError("max_prompt_tokens needs the tokenizer")
        for key in list(splits):
            before = len(splits[key])
            splits[key] = filter_long_prompts(splits[key], tokenizer, script_args.max_prompt_tokens, num_proc)
            report.append(
                (f"prompts > {script_args.max_prompt_tokens} tokens ({key})", "", "", f"{before - len(splits[key]):,}")
            )

    train = splits["train"]
    if script_args.curriculum_column:
        train = order_by(train, script_args.curriculum_column, script_args.curriculum_descending)
        if training_args is not None and training_args.shuffle_dataset:
            logger.warning("curriculum_column is set: turning shuffle_dataset off so rows are used in order")
            training_args.shuffle_dataset = False
    if script_args.max_train_samples is not None:
        train = train.select(range(min(script_args.max_train_samples, len(train))))
        report.append(("max_train_samples", "", f"{len(train):,}", ""))
    if len(train) == 0:
        raise ValueError("no training rows left after conversion and filtering")
    splits["train"] = train
    _report(report)
    return datasets.DatasetDict(splits)


def align_columns(parts: list) -> list:
    """Give every part the columns of the others (as nulls), so sources of different layouts mix:
    KodCode rows bring ``test_file``, X-Coder rows their metadata."""
    names: list[str] = []
    for part in parts:
        names += [c for c in part.column_names if c not in names]
    aligned = []
    for part in parts:
        for name in names:
            if name not in part.column_names:
                feature = next(p.features[name] for p in parts if name in p.column_names)
                part = part.add_column(name, [None] * len(part), feature=feature)
        aligned.append(part.select_columns(names))
    return aligned


def order_by(ds, column: str, descending: bool = True):
    """Rows sorted by ``column`` (a curriculum); a missing column or empty values are an error."""
    if column not in ds.column_names:
        raise ValueError(f"curriculum_column {column!r} is not a column of the data (columns: {ds.column_names})")
    missing = sum(v is None for v in ds[column])
    if missing:
        raise ValueError(f"curriculum_column {column!r} is empty in {missing} rows; fill it or drop those rows")
    return ds.sort(column, reverse=descending)


def prompt_length(prompt: Any, tokenizer) -> int:
    if isinstance(prompt, str):
        text = prompt
    else:
        text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def filter_long_prompts(ds, tokenizer, max_tokens: int, num_proc: int | None = None):
    return ds.filter(
        lambda r: prompt_length(r["prompt"], tokenizer) <= max_tokens,
        num_proc=num_proc,
        desc=f"dropping prompts over {max_tokens} tokens",
    )


# --------------------------------------------------------------------------------------------
# Rewards, model and options


def reward_options(script_args: GRPOScriptArguments, training_args) -> dict[str, Any]:
    """``reward_options`` as a dict, with the overlong reward's limit taken from the config."""
    raw = script_args.reward_options
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"reward_options is not a JSON object ({exc})") from None
    if not isinstance(raw, (dict, type(None))):
        raise TypeError(f"reward_options must be a mapping, got {type(raw).__name__}")
    options = dict(raw or {})
    if "overlong" in script_args.reward_funcs:
        scoped = dict(options.get("overlong") or {})
        if "max_completion_length" not in scoped and "max_completion_length" not in options:
            scoped["max_completion_length"] = training_args.max_completion_length
        options["overlong"] = scoped
    return options


def check_options(script_args: GRPOScriptArguments, training_args) -> None:
    """Fail early on settings that would otherwise fail deep inside training."""
    weights = training_args.reward_weights
    if weights is not None and len(weights) != len(script_args.reward_funcs):
        raise ValueError(
            f"reward_weights has {len(weights)} values for {len(script_args.reward_funcs)} reward_funcs "
            f"({script_args.reward_funcs})"
        )
    if training_args.use_vllm:
        if cpu_only(getattr(training_args, "use_cpu", False)):
            raise ValueError("use_vllm: true needs a GPU; on a CPU set use_vllm: false")
        if importlib.util.find_spec("vllm") is None:
            raise ImportError("use_vllm: true needs vLLM: pip install 'xcoder[vllm]' (or set use_vllm: false)")
    if script_args.max_prompt_tokens is not None and script_args.max_prompt_tokens < 1:
        raise ValueError("max_prompt_tokens must be positive")
    script_args.check_group_sampling()
    script_args.check_replay()
    if script_args.curriculum != "none" and script_args.curriculum_column:
        raise ValueError("curriculum: online and curriculum_column both order the data; set only one")
    if script_args.balance_by and script_args.curriculum_column:
        raise ValueError("balance_by draws prompts by weight, curriculum_column orders them; set only one")


def prepare_model(script_args: GRPOScriptArguments, training_args, model_args) -> str:
    """Check the policy model exists, then resolve it as the SFT recipe does (model_init_kwargs,
    optional tiny model). A local path without a model gets the command that creates it."""
    from xcoder.tiny_model import holds_model
    from xcoder.train.sft import prepare_model as prepare_sft_model

    name = model_args.model_name_or_path
    if not name:
        raise ValueError("model_name_or_path is required (normally the output_dir of an SFT run)")
    path = Path(name)
    # Hub ids are exactly ``org/name``; anything else (or an existing first directory) is a path.
    looks_local = (
        path.is_absolute()
        or name.startswith(".")
        or len(path.parts) > 2
        or (len(path.parts) == 2 and Path(path.parts[0]).is_dir())
    )
    if looks_local and not script_args.build_tiny_model and not holds_model(path):
        hint = ""
        if "tiny" in name:
            hint = (
                " (make it first: accelerate launch --num_processes 1 --cpu recipes/sft.py --config "
                "recipes/tiny/sft_warmup.yaml)"
            )
        raise FileNotFoundError(f"model_name_or_path {name} holds no model{hint}")
    return prepare_sft_model(script_args, training_args, model_args, liger=False)
