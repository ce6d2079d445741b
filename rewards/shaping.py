"""Shaping rewards: cheap signals about the *form* of a completion, added with small weights
next to an execution reward (``reward_funcs: [binary, format]``, ``reward_weights: [1.0, 0.1]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rewards.base import Reward, RewardBatch, RewardList, warn_once
from xcoder.extract import THINK_CLOSE, completion_text, count_code_blocks, extract_code


@dataclass
class FormatOptions:
    strip_think: bool = field(
        default=True,
        metadata={"help": "Ignore code blocks inside <think>...</think> reasoning (unclosed: no answer)."},
    )
    require_reasoning: bool = field(
        default=False, metadata={"help": "Also require closed reasoning (a </think>) before the answer."}
    )
    format_reward: float = field(default=1.0, metadata={"help": "Value for a well-formed completion."})
    format_penalty: float = field(default=0.0, metadata={"help": "Value for any other completion."})


class Format(Reward):
    """``format_reward`` (1.0) when the answer after the reasoning holds exactly one fenced
    block, complete and Python (tagged python/py/... or untagged); else ``format_penalty`` (0.0)."""

    name = "format"
    Options: ClassVar[type] = FormatOptions

    def __init__(self, options: FormatOptions | None = None):
        self.options = options or FormatOptions()

    def well_formed(self, completion) -> bool:
        o = self.options
        if o.require_reasoning and THINK_CLOSE not in (completion_text(completion) or ""):
            return False
        if count_code_blocks(completion, strip_think=o.strip_think, language=None) != 1:
            return False
        return (
            extract_code(completion, strip_think=o.strip_think, language="python", allow_unterminated=False)
            is not None
        )

    def score(self, batch: RewardBatch) -> RewardList:
        o = self.options
        return [o.format_reward if self.well_formed(c) else o.format_penalty for c in batch.completions]


@dataclass
class OverlongOptions:
    max_completion_length: int | None = field(
        default=None,
        metadata={
            "help": "The generation limit in tokens (recipes/grpo.py fills in GRPOConfig.max_completion_length)."
        },
    )
    overlong_buffer: int | None = field(
        default=None,
        metadata={
            "help": "Length of the penalty ramp before the limit, in tokens (DAPO's L_cache; "
            "None: 20% of max_completion_length)."
        },
    )
    overlong_penalty: float = field(default=1.0, metadata={"help": "Penalty at (and past) the limit."})

    def __post_init__(self) -> None:
        if self.max_completion_length is None or self.max_completion_length < 1:
            raise ValueError("the overlong reward needs max_completion_length (a positive number of tokens)")
        if self.overlong_buffer is None:
            self.overlong_buffer = max(1, self.max_completion_length // 5)
        if not 0 < self.overlong_buffer <= self.max_completion_length:
            raise ValueError(
                f"overlong_buffer must be in 1..max_completion_length ({self.max_completion_length}), "
                f"got {self.overlong_buffer}"
            )
        if self.overlong_penalty < 0:
            raise ValueError(f"overlong_penalty is a magnitude and must be >= 0, got {self.overlong_penalty}")


class Overlong(Reward):
    """DAPO's soft overlong penalty: 0 up to ``max_completion_length - overlong_buffer`` tokens,
    then falling linearly to ``-overlong_penalty`` at the limit."""

    name = "overlong"
    Options: ClassVar[type] = OverlongOptions

    def __init__(self, options: OverlongOptions | None = None):
        self.options = options or OverlongOptions()

    def penalty(self, length: int) -> float:
        o = self.options
        start = o.max_completion_length - o.overlong_buffer
        if length <= start:
            return 0.0
        return -o.overlong_penalty * min(1.0, (length - start) / o.overlong_buffer)

    def score(self, batch: RewardBatch) -> RewardList:
        if batch.completion_ids is None:
            warn_once("overlong:no-ids", "overlong: no completion_ids were passed (TRL passes them); rewards are None")
            return [None] * len(batch)
        return [self.penalty(len(ids)) for ids in batch.completion_ids]


SHAPING_REWARDS: tuple[type[Reward], ...] = (Format, Overlong)
