"""The SynthSmith run configuration (``recipes/data_gen/synthsmith.yaml``), as dataclasses.

Every section is a dataclass whose fields carry help text; :func:`load_config` builds them from
YAML and rejects unknown keys and wrongly typed values with a message naming the key path
(``tasks.styles.leetcode: expected a number, got 'x'``), because a silently ignored typo in a
generation run costs hours of GPU time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xcoder.config import ConfigError, build, read_yaml
from xcoder.config import help_field as _help
from xcoder.judge import JudgeConfig
from xcoder.llm.config import LLMConfig

STAGES = ("features", "evolve", "tree", "tasks", "solutions", "tests", "verify", "filter", "export")
"""The stages in pipeline order."""

KODCODE_STAGES = (
    "kodcode_questions",
    "kodcode_self_verify",
    "kodcode_rewrite",
    "kodcode_reject_sampling",
    "kodcode_export",
)
"""The stages of the KodCode mode (``mode: kodcode``; ``data_gen/kodcode_config.py``), in order."""

MODES = {"synthsmith": STAGES, "kodcode": KODCODE_STAGES}
ALL_STAGES = STAGES + KODCODE_STAGES

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_SEEDS = PACKAGE_DIR / "seeds" / "snippets.jsonl"


@dataclass
class StageLLM:
    """Per-stage model and sampling overrides (None: the ``llm`` section's value)."""

    model: str | None = _help("Model for this stage (None: llm.model).", default=None)
    temperature: float | None = _help("Sampling temperature (None: llm.temperature).", default=None)
    top_p: float | None = _help("Nucleus sampling (None: llm.top_p).", default=None)
    max_tokens: int | None = _help("Completion token limit (None: llm.max_tokens).", default=None)

    def params(self) -> dict[str, Any]:
        """Sampling overrides to pass to ``LLMClient.chat``."""
        return {
            k: v
            for k, v in (("temperature", self.temperature), ("top_p", self.top_p), ("max_tokens", self.max_tokens))
            if v is not None
        }


@dataclass
class SeedsConfig:
    path: str = _help("JSONL of seed code snippets (any file with a code field).", default=str(BUNDLED_SEEDS))
    code_field: str = _help("Field holding the code.", default="code")
    id_field: str | None = _help("Field holding a stable id (None: a hash of the code).", default="id")
    limit: int | None = _help("Use at most this many snippets (None: all).", default=None)


@dataclass
class FeaturesConfig(StageLLM):
    temperature: float | None = _help("Sampling temperature.", default=0.2)


@dataclass
class EvolveConfig(StageLLM):
    rounds: int = _help("Evolution rounds per extracted feature set (each: one breadth + one depth step).", default=1)
    breadth: bool = _help("Ask for new related features.", default=True)
    depth: bool = _help("Ask for specialisations of existing features.", default=True)
    max_new: int = _help("Most new features per category in a breadth step.", default=4)
    max_expand: int = _help("Most features specialised in a depth step.", default=4)
    temperature: float | None = _help("Sampling temperature.", default=0.9)


@dataclass
class TreeConfig:
    import_path: str | None = _help(
        "Start here instead of from evolve: X-Coder's feature-config JSONL (features, mandatory_features, "
        "idx, leaf_count) or a merged feature-tree JSON object.",
        default=None,
    )
    num_configs: int = _help("Feature configs (sub-trees) to sample from the merged tree.", default=100)
    shapes: list[list[int]] = _help(
        "Sampling shapes [root_k, inner_k, leaf_k]: categories, children per node, leaves per list.",
        default_factory=lambda: [[3, 2, 2], [2, 3, 2], [3, 3, 1]],
    )
    min_leaf_count: int = _help("Reject sampled sub-trees with fewer leaves.", default=3)
    max_depth: int = _help("Deepest level sampled below the root.", default=4)
    min_count: int = _help("Drop features seen in fewer feature sets than this when merging.", default=1)
    mandatory: int = _help("Leaves of each config marked mandatory (must appear in the task).", default=1)


@dataclass
class TasksConfig(StageLLM):
    per_config: int = _help("Tasks generated from each feature config.", default=1)
    max_tasks: int | None = _help("Stop after this many tasks (None: all configs x per_config).", default=None)
    styles: dict[str, float] = _help(
        "Style mix (weights, normalised): codeforces and atcoder read stdin, leetcode is functional.",
        default_factory=lambda: {"codeforces": 0.7, "leetcode": 0.15, "atcoder": 0.15},
    )
    min_examples: int = _help("Statements need at least this many examples.", default=2)
    temperature: float | None = _help("Sampling temperature.", default=0.8)


@dataclass
class SolutionsConfig(StageLLM):
    n: int = _help("Candidate solutions sampled per task.", default=8)
    temperature: float | None = _help("Sampling temperature.", default=0.6)
    top_p: float | None = _help("Nucleus sampling.", default=0.95)
    drop_truncated: bool = _help("Drop answers cut by the token limit (finish_reason=length).", default=True)
    system_prompt: str | None = _help(
        "System prompt of the LiveCodeBench prompt ('default': xcoder.prompts', None: no system turn). "
        "Export uses the same one, so SFT rows show the prompt the answers were sampled with.",
        default="default",
    )


@dataclass
class TestsConfig(StageLLM):
    __test__ = False
    llm_inputs: int = _help("Test inputs asked from the LLM directly (standard and edge cases).", default=10)
    generator: bool = _help(
        "Ask for a cyaron input-generator program and run it in the judge's sandbox.", default=True
    )
    scales: list[str] = _help(
        "Generator scales, small to stress.", default_factory=lambda: ["small", "medium", "large", "stress"]
    )
    seeds_per_scale: int = _help("Generator runs (seeds) per scale.", default=2)
    validator: bool = _help("Ask for an input-validator program and drop inputs it rejects.", default=False)
    max_inputs: int = _help("Most test inputs kept per task (examples first, then by kind).", default=40)
    max_input_chars: int = _help("Drop generated inputs longer than this.", default=4_000_000)
    generator_timeout: float = _help("Seconds a generator/validator run may take.", default=20.0)
    temperature: float | None = _help("Sampling temperature.", default=0.7)


@dataclass
class VerifyConfig:
    min_candidates: int = _help("Tasks with fewer candidate solutions are dropped.", default=2)
    min_votes: int = _help("The winning output needs at least this many agreeing runs.", default=2)
    min_agreement: float = _help("... and at least this share of the successful runs (0.5 = half).", default=0.5)
    ties: str = _help(
        "When two outputs tie for most votes: 'drop' the input or keep the 'first' seen.", default="drop"
    )
    holdout_fraction: float = _help("Share of the voted tests held out to check the golden solution.", default=0.5)
    weights: dict[str, float] = _help(
        "Test weight by scale in the golden-selection score (boundary/stress tests weigh more).",
        default_factory=lambda: {
            "sample": 1.0,
            "small": 1.0,
            "medium": 1.0,
            "edge": 2.0,
            "boundary": 2.0,
            "large": 2.0,
            "stress": 3.0,
        },
    )
    min_tests: int = _help("Tasks with fewer voted tests are dropped.", default=3)
    min_golden_score: float = _help("The golden solution's weighted suite score must reach this.", default=1.0)
    final_check: bool = _help("Judge the golden solution on all voted tests with Judge.judge once more.", default=True)

    def __post_init__(self) -> None:
        if self.ties not in ("drop", "first"):
            raise ConfigError(f"verify.ties must be 'drop' or 'first', got {self.ties!r}")
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ConfigError(f"verify.holdout_fraction must be in (0, 1), got {self.holdout_fraction}")


@dataclass
class ProxyConfig(StageLLM):
    enabled: bool = _help("Sample solutions from a (cheaper) proxy model and measure its pass rate.", default=False)
    n: int = _help("Proxy samples per task.", default=4)
    temperature: float | None = _help("Sampling temperature.", default=0.6)
    top_p: float | None = _help("Nucleus sampling.", default=0.95)
    drop_unsolved: bool = _help("Drop tasks no proxy sample solves.", default=True)


@dataclass
class FilterConfig:
    min_tests: int = _help("Drop tasks with fewer voted tests.", default=5)
    max_empty_output_fraction: float = _help(
        "Functional tasks whose share of empty expected outputs ('', null, [], {}, \"\") exceeds this are "
        "dropped (the pattern behind most wrong labels in X-Coder's audit).",
        default=0.5,
    )
    drop_identical_outputs: bool = _help("Drop tasks whose tests all expect the same output.", default=True)
    drop_sample_mismatch: bool = _help(
        "Drop tasks whose voted outputs contradict the statement's examples.", default=True
    )
    near_dup_threshold: float | None = _help(
        "MinHash Jaccard threshold for near-duplicate statements (None: off).", default=0.8
    )
    num_perm: int = _help("MinHash permutations.", default=128)
    shingle_words: int = _help("Words per shingle for MinHash.", default=3)
    proxy: ProxyConfig = _help("Optional proxy-solver pass rate.", default_factory=ProxyConfig)
    difficulty_thresholds: dict[str, float] = _help(
        "Pass rate at or above which a task is 'easy' / 'medium' (else 'hard'); the proxy pass rate when "
        "enabled, else the candidates' pass rate from verify.",
        default_factory=lambda: {"easy": 0.8, "medium": 0.3},
    )


@dataclass
class ExportConfig:
    name: str = _help("Dataset name (file stem and card title).", default="synthsmith")
    include_reasoning: bool = _help(
        "When the server returned reasoning separately, put it back as <think>...</think> before the answer.",
        default=True,
    )
    formats: list[str] = _help("Files written: jsonl and/or parquet.", default_factory=lambda: ["jsonl", "parquet"])


@dataclass
class GenConfig:
    """A whole SynthSmith run."""

    llm: LLMConfig = _help("The OpenAI-compatible endpoint(s); see xcoder.llm.LLMConfig.")
    output_dir: str = _help("Where every stage writes output_dir/<stage>/.", default="runs/synthsmith")
    random_seed: int = _help("Seed of every random choice (style mix, sampling seeds, tree sampling).", default=0)
    seeds: SeedsConfig = _help("Seed code snippets.", default_factory=SeedsConfig)
    judge: JudgeConfig = _help("The judge (see xcoder.judge.JudgeConfig).", default_factory=JudgeConfig)
    prompts_dir: str | None = _help("Directory of prompt files overriding data_gen/prompts/ by name.", default=None)
    flush_every: int = _help("Commit finished items to disk after this many...", default=32)
    flush_seconds: float = _help("... or after this many seconds.", default=10.0)
    retry_reasons: list[str] = _help(
        "Drop reasons that are transient: items dropped for them are tried again by the next run "
        "(a server outage must not lose work for good).",
        default_factory=lambda: ["llm_retries_exhausted"],
    )
    item_concurrency: int | None = _help(
        "Items in flight per stage (None: llm.max_concurrency; judge-only stages: 2 x judge workers).", default=None
    )
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    evolve: EvolveConfig = field(default_factory=EvolveConfig)
    tree: TreeConfig = field(default_factory=TreeConfig)
    tasks: TasksConfig = field(default_factory=TasksConfig)
    solutions: SolutionsConfig = field(default_factory=SolutionsConfig)
    tests: TestsConfig = field(default_factory=TestsConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    filter: FilterConfig = field(default_factory=FilterConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    mode: str = _help(
        "Pipeline: 'synthsmith' (the nine stages above) or 'kodcode' (KodCode-style function-level "
        "questions with pytest files: the kodcode section).",
        default="synthsmith",
    )
    kodcode: Any = _help("The KodCode mode's stages (data_gen/kodcode_config.py).", default=None)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode: unknown mode {self.mode!r}; known: {', '.join(MODES)}")
        from data_gen.kodcode_config import KodCodeConfig  # its sections derive from StageLLM above

        self.kodcode = build(KodCodeConfig, self.kodcode, "kodcode")
        styles = self.tasks.styles
        bad = sorted(set(styles) - {"codeforces", "leetcode", "atcoder"})
        if bad:
            raise ConfigError(f"tasks.styles: unknown style(s) {bad}; known: codeforces, leetcode, atcoder")
        if any(w < 0 for w in styles.values()) or sum(styles.values()) <= 0:
            raise ConfigError(f"tasks.styles: weights must be >= 0 and not all 0, got {styles}")
        bad_scales = sorted(set(self.tests.scales) - {"small", "medium", "large", "stress"})
        if bad_scales:
            raise ConfigError(f"tests.scales: unknown scale(s) {bad_scales}; known: small, medium, large, stress")
        for shape in self.tree.shapes:
            if len(shape) != 3 or any((not isinstance(v, int)) or v < 1 for v in shape):
                raise ConfigError(
                    f"tree.shapes: each shape is [root_k, inner_k, leaf_k] of positive ints, got {shape}"
                )
        if self.solutions.n < 1:
            raise ConfigError(f"solutions.n must be >= 1, got {self.solutions.n}")
        bad_formats = sorted(set(self.export.formats) - {"jsonl", "parquet"})
        if bad_formats:
            raise ConfigError(f"export.formats: unknown format(s) {bad_formats}; known: jsonl, parquet")

    @property
    def out(self) -> Path:
        return Path(self.output_dir)

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages of this run's mode, in order."""
        return MODES[self.mode]


# ------------------------------------------------------------------------------------------------
# Loading


def config_from_dict(data: Mapping[str, Any], source: str = "config") -> GenConfig:
    """Build a :class:`GenConfig`; errors read ``<source>: <key.path>: <problem>``."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    if "llm" not in data:
        raise ConfigError(f"{source}: missing section 'llm' (base_url, model, ...)")
    try:
        return build(GenConfig, data)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> GenConfig:
    """Read a YAML config; ``overrides`` maps dotted keys (``output_dir``, ``llm.base_url``) to values."""
    return config_from_dict(read_yaml(path, overrides), source=str(path))
