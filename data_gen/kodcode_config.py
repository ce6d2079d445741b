"""The ``kodcode:`` section of a data-generation config (``mode: kodcode``,
``recipes/data_gen/kodcode.yaml``): one dataclass per KodCode stage.

The mode follows the KodCode paper's recipe (arXiv 2503.02951): questions from seeds, a solution and
its pytest file written together and self-verified in the judge with up to ``max_attempts`` tries
(the difficulty label is the share of attempts that passed), questions rewritten into the other
style (instruct <-> complete), and reasoning-model answers reject-sampled against the tests for SFT.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_gen.config import StageLLM
from xcoder.config import ConfigError
from xcoder.config import help_field as _help
from xcoder.kodcode import DEFAULT_THRESHOLDS, STYLES


@dataclass
class KodQuestionsConfig(StageLLM):
    subset: str = _help(
        "KodCode subset name of the questions (the first part of question ids, e.g. 'Snippet_3fa2b1c0_I').",
        default="Snippet",
    )
    styles: dict[str, float] = _help(
        "Style mix of the generated questions (weights): 'instruct' (a task in prose) and 'complete' (a Python "
        "stub with a docstring to finish). The rewrite stage adds each verified question in the other style.",
        default_factory=lambda: {"instruct": 1.0},
    )
    per_seed: int = _help("Questions written from each seed snippet.", default=1)
    max_questions: int | None = _help("Stop after this many questions (None: seeds x per_seed).", default=None)
    temperature: float | None = _help("Sampling temperature.", default=0.7)

    def __post_init__(self) -> None:
        bad = sorted(set(self.styles) - set(STYLES))
        if bad:
            raise ConfigError(f"questions.styles: unknown style(s) {bad}; known: {', '.join(STYLES)}")
        if any(w < 0 for w in self.styles.values()) or sum(self.styles.values()) <= 0:
            raise ConfigError(f"questions.styles: weights must be >= 0 and not all 0, got {self.styles}")
        if self.per_seed < 1:
            raise ConfigError(f"questions.per_seed must be >= 1, got {self.per_seed}")


@dataclass
class KodVerifyConfig(StageLLM):
    min_attempts: int = _help(
        "Attempts always made per question (each: a fresh solution and test file from the same question), "
        "so the difficulty label has a pass rate to come from (KodCode's README runs 3).",
        default=3,
    )
    max_attempts: int = _help(
        "Most attempts per question: after min_attempts, retry one at a time until an attempt passes "
        "(KodCode: at most 10). Questions with no passing attempt are dropped as 'unverified'.",
        default=10,
    )
    difficulty_thresholds: dict[str, float] = _help(
        "Share of attempts passed at or above which a question is 'easy' / 'medium' (else 'hard'); KodCode: "
        "2/3 and 1/3.",
        default_factory=lambda: dict(DEFAULT_THRESHOLDS),
    )
    temperature: float | None = _help("Sampling temperature (attempts must differ).", default=0.7)

    def __post_init__(self) -> None:
        if not 1 <= self.min_attempts <= self.max_attempts:
            raise ConfigError(
                f"self_verify: need 1 <= min_attempts <= max_attempts, got {self.min_attempts} and {self.max_attempts}"
            )
        bad = sorted(set(self.difficulty_thresholds) - {"easy", "medium"})
        if bad:
            raise ConfigError(f"self_verify.difficulty_thresholds: unknown key(s) {bad}; known: easy, medium")


@dataclass
class KodRewriteConfig(StageLLM):
    enabled: bool = _help(
        "Rewrite every verified question into the other style (its solution and tests are kept, as KodCode does).",
        default=True,
    )
    temperature: float | None = _help("Sampling temperature.", default=0.2)


@dataclass
class KodRejectConfig(StageLLM):
    enabled: bool = _help(
        "Sample answers from a (reasoning) model and keep those that pass the tests, for SFT.", default=True
    )
    n: int = _help("Answers sampled per question (KodCode: 3 from DeepSeek-R1).", default=3)
    keep: int = _help("Most passing answers kept per question (each an SFT row).", default=1)
    rename_function: bool = _help(
        "When an answer defines one function named differently from the question's entry point, rename it "
        "before judging (KodCode's fix-up).",
        default=True,
    )
    system_prompt: str | None = _help(
        "System prompt of the KodCode prompt (xcoder.prompts.build_kodcode_messages): 'default' for xcoder's, "
        "None for none (as KodCode sampled R1). Export's SFT and RL rows use the same.",
        default="default",
    )
    drop_truncated: bool = _help("Answers cut by the token limit fail without being judged.", default=True)
    temperature: float | None = _help("Sampling temperature.", default=0.6)
    top_p: float | None = _help("Nucleus sampling.", default=0.95)

    def __post_init__(self) -> None:
        if self.n < 1 or self.keep < 1:
            raise ConfigError(f"reject_sampling: n and keep must be >= 1, got {self.n} and {self.keep}")


@dataclass
class KodExportConfig:
    name: str = _help("Dataset name (dataset card title).", default="kodcode_synth")
    version: str = _help("The 'version' column of the KodCode-V1 rows.", default="xcoder-1")
    sft_response: str = _help(
        "Answer of the SFT rows: 'reasoning' (the reject-sampled answers that passed) or 'solution' (the verified "
        "solution in a code block, one row per question).",
        default="reasoning",
    )
    keep_think: bool = _help("Keep the <think> part of reasoning answers in the SFT rows.", default=True)
    formats: list[str] = _help("Files written: jsonl and/or parquet.", default_factory=lambda: ["jsonl", "parquet"])

    def __post_init__(self) -> None:
        if self.sft_response not in ("reasoning", "solution"):
            raise ConfigError(f"export.sft_response must be 'reasoning' or 'solution', got {self.sft_response!r}")
        bad = sorted(set(self.formats) - {"jsonl", "parquet"})
        if bad:
            raise ConfigError(f"export.formats: unknown format(s) {bad}; known: jsonl, parquet")


@dataclass
class KodCodeConfig:
    """The KodCode mode: stage ``kodcode_<name>`` reads section ``<name>``."""

    questions: KodQuestionsConfig = _help(
        "kodcode_questions: questions from seed snippets.", default_factory=KodQuestionsConfig
    )
    self_verify: KodVerifyConfig = _help(
        "kodcode_self_verify: solution + tests per attempt, run in the judge.", default_factory=KodVerifyConfig
    )
    rewrite: KodRewriteConfig = _help(
        "kodcode_rewrite: each verified question in the other style.", default_factory=KodRewriteConfig
    )
    reject_sampling: KodRejectConfig = _help(
        "kodcode_reject_sampling: answers judged against the tests for SFT.", default_factory=KodRejectConfig
    )
    export: KodExportConfig = _help(
        "kodcode_export: KodCode-V1 rows and xcoder SFT/RL rows.", default_factory=KodExportConfig
    )


__all__ = [
    "KodCodeConfig",
    "KodExportConfig",
    "KodQuestionsConfig",
    "KodRejectConfig",
    "KodRewriteConfig",
    "KodVerifyConfig",
]
