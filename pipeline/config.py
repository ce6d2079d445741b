"""The pipeline's configuration (``recipes/tiny/pipeline.yaml``): one dataclass per section.

The judge and the tiny model are not redeclared here: their sections *are* ``xcoder.judge.JudgeConfig``
and ``xcoder.tiny_model.TinyModelSpec``, so a field and its default exist once. The training stages'
files (``sft.recipe``, ``sft.config``, ...) are checked when the config is loaded, so a typo stops the
run before the first stage rather than after the data has been generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data_gen.procedural import ProceduralConfig
from pipeline.locate import locate
from xcoder.config import ConfigError, build, help_field, read_yaml
from xcoder.judge import JudgeConfig
from xcoder.tiny_model import TinyModelSpec

STAGES = ("data", "model", "verify", "sft", "select", "grpo", "eval", "report")
OPTIONAL_STAGES = ("select",)  # off by default; when off they leave no trace, not even in the fingerprints
MODELS = ("base", "sft", "rl")


@dataclass
class DataSection:
    """Options of the shared SynthSmith stages run on the procedural records (``data_gen.config``
    sections ``verify``, ``filter``, ``export``), and the system prompt of the exported rows."""

    verify: dict[str, Any] = help_field("data_gen VerifyConfig fields.", default_factory=dict)
    filter: dict[str, Any] = help_field(
        "data_gen FilterConfig fields.", default_factory=lambda: {"near_dup_threshold": None, "min_tests": 3}
    )
    export: dict[str, Any] = help_field(
        "data_gen ExportConfig fields.", default_factory=lambda: {"formats": ["jsonl"]}
    )
    system_prompt: str | None = help_field(
        "System prompt of SFT/RL rows and eval ('default': xcoder's LCB one; None: none, shorter prompts).",
        default=None,
    )
    sft_solutions_per_task: int = help_field(
        "SFT rows per task: the golden solution plus up to k-1 other candidates the judge accepts on all voted "
        "tests (alternatives first). For the unique-tasks vs solutions-per-task ablation.",
        default=1,
    )
    rl_phrasings: int = help_field(
        "Training phrasings per family whose tasks go to GRPO only, never to SFT (0: GRPO trains on the SFT "
        "tasks, as X-Coder does). GRPO on memorised SFT rows can only sharpen them; on unseen statements it "
        "can learn (docs/notes/rl_learning.md).",
        default=0,
    )
    tokenizer_corpus_tasks: int = help_field(
        "Training tasks whose statement and program text also train the tiny model's tokenizer.", default=300
    )


@dataclass
class TrainSection:
    """One training recipe run as a subprocess: its YAML, plus overrides the pipeline applies."""

    recipe: str = help_field("Launch script (found as described in pipeline.locate).", default="recipes/sft.py")
    config: str = help_field("The recipe's base YAML (found like recipe).", default="recipes/tiny/sft.yaml")
    args: dict[str, Any] = help_field(
        "Keys overriding the base YAML (any of the recipe's config keys).", default_factory=dict
    )
    enabled: bool = help_field("Run this stage (a disabled stage's model is its input model).", default=True)
    threads: int | None = help_field(
        "CPU threads of the training process (OMP_NUM_THREADS; None: torch's "
        "default). On a busy shared machine 1 is often faster than 2.",
        default=None,
    )


@dataclass
class GRPOSection(TrainSection):
    """GRPO on execution rewards: ``recipes/grpo.py`` from the SFT model."""

    recipe: str = help_field("Launch script (found as described in pipeline.locate).", default="recipes/grpo.py")
    config: str = help_field("The recipe's base YAML (found like recipe).", default="recipes/tiny/grpo.yaml")
    label_noise: float = help_field(
        "Share of the RL rows' test outputs deliberately corrupted (0: none), for the label-noise ablation. "
        "The wrong labels are in the RL data itself: with select on, the select stage judges them too, as it "
        "would real ones, and GRPO trains on the rows it keeps. SFT rows and the held-out split are never touched.",
        default=0.0,
    )
    replay_sft: bool = help_field(
        "Give GRPO the SFT stage's training rows as replay_dataset: a next-token loss on them, weighted by "
        "the recipe's replay_coef (set it in args), is added to every GRPO step so the policy keeps what SFT "
        "taught (xcoder.train.replay).",
        default=False,
    )


@dataclass
class SelectSection:
    """Optional RL data selection by the SFT model's own pass rate (``eval.pass_rate``): k samples per
    RL row, judged; GRPO then trains on the rows whose pass rate is in ``band``."""

    enabled: bool = help_field("Run this stage (off: GRPO trains on every exported RL row).", default=False)
    k: int = help_field("Samples per task.", default=8)
    temperature: float = help_field("Sampling temperature (GRPO's rollouts are sampled at 1.0).", default=1.0)
    top_p: float = help_field("Nucleus sampling.", default=1.0)
    max_tokens: int = help_field("New tokens per sample.", default=160)
    batch_size: int = help_field(
        "Sequences per generate() call; from 2k, batch_size // k tasks share a call (faster, other samples).",
        default=8,
    )
    band: str = help_field("Pass rates kept, 'LOW,HIGH'.", default="0,1")
    inclusive: bool = help_field("Keep the band's ends too (default: strictly inside).", default=False)
    seed: int = help_field("Sampling seed.", default=0)
    threads: int | None = help_field("torch CPU threads while generating (None: torch's default).", default=1)

    def __post_init__(self) -> None:
        from eval.pass_rate import parse_band

        parse_band(self.band)
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")


@dataclass
class EvalSection:
    """Held-out evaluation (``eval.runner``), LiveCodeBench's sampling protocol by default."""

    n: int = help_field("Samples per problem (avg@n).", default=8)
    temperature: float = help_field("Sampling temperature.", default=0.6)
    top_p: float = help_field("Nucleus sampling.", default=0.95)
    max_tokens: int = help_field("New tokens per sample (the tiny model's programs are short).", default=256)
    batch_size: int = help_field(
        "Sequences per generate() call; from 2n, batch_size // n problems share a call (faster, other samples).",
        default=8,
    )
    seed: int = help_field("Sampling seed.", default=0)
    threads: int | None = help_field(
        "torch CPU threads while generating (None: torch's default). A tiny model's "
        "decoding is dispatch-bound; 1 thread avoids contention.",
        default=1,
    )
    models: list[str] = help_field("Which models to evaluate: base, sft, rl.", default_factory=lambda: list(MODELS))

    def __post_init__(self) -> None:
        bad = sorted(set(self.models) - set(MODELS))
        if bad:
            raise ConfigError(f"eval.models: unknown model(s) {bad}; known: {list(MODELS)}")


@dataclass
class PipelineConfig:
    """The whole offline pipeline (``recipes/tiny/pipeline.yaml``)."""

    output_dir: str = help_field("Where every stage writes.", default="runs/demo")
    seed: int = help_field("Seed of the task sampler (the training recipes keep their own seeds).", default=0)
    procedural: ProceduralConfig = help_field("Procedural task sampling.", default_factory=ProceduralConfig)
    model: TinyModelSpec = help_field(
        "The tiny model (xcoder.tiny_model.TinyModelSpec); the pipeline adds the "
        "training tasks to its tokenizer corpus.",
        default_factory=TinyModelSpec,
    )
    data: DataSection = help_field("Verification, filtering and export options.", default_factory=DataSection)
    sft: TrainSection = help_field("Supervised fine-tuning.", default_factory=TrainSection)
    select: SelectSection = help_field(
        "Optional RL data selection by the SFT model's pass rate (off by default).", default_factory=SelectSection
    )
    grpo: GRPOSection = help_field("GRPO on execution rewards.", default_factory=GRPOSection)
    eval: EvalSection = help_field("Held-out evaluation.", default_factory=EvalSection)
    judge: JudgeConfig = help_field(
        "The judge of every stage (xcoder.judge.JudgeConfig).", default_factory=JudgeConfig
    )
    time_budget_minutes: float | None = help_field(
        "Wall-clock budget reported against in report.md (None: none). Not enforced.", default=15.0
    )
    source: str | None = field(
        default=None,
        init=False,
        metadata={
            "help": "The YAML this config was read from (set by load_pipeline_config; relative recipe paths are "
            "looked up beside it first)."
        },
    )

    @property
    def out(self) -> Path:
        return Path(self.output_dir)

    def locate(self, key: str) -> Path:
        """The file named by ``sft.recipe``, ``grpo.config``, ... (see :func:`pipeline.locate.locate`)."""
        section, name = key.split(".")
        value = getattr(getattr(self, section), name)
        return locate(value, Path(self.source).parent if self.source else None, f"{key}: {value}")


def load_pipeline_config(path: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """Read the YAML; unknown keys, wrong types and training files that cannot be found fail with
    ``<path>: <key path>: <problem>``. ``procedural.seed`` follows the top-level ``seed``."""
    data = read_yaml(path, overrides)
    data["procedural"] = {"seed": data.get("seed", 0), **(data.get("procedural") or {})}
    try:
        config = build(PipelineConfig, data)
        config.source = str(path)
        for section in ("sft", "grpo"):
            if getattr(config, section).enabled:
                config.locate(f"{section}.recipe")
                config.locate(f"{section}.config")
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    return config


def model_paths(cfg: PipelineConfig) -> dict[str, str]:
    """The model directory of base, SFT and RL (a disabled stage passes its input through). Paths
    derive from ``output_dir`` only, so a copied output directory resumes correctly."""
    base = str(cfg.out / "model")
    sft = str(cfg.out / "sft") if cfg.sft.enabled else base
    rl = str(cfg.out / "rl") if cfg.grpo.enabled else sft
    return {"base": base, "sft": sft, "rl": rl}


__all__ = [
    "MODELS",
    "OPTIONAL_STAGES",
    "STAGES",
    "DataSection",
    "EvalSection",
    "GRPOSection",
    "PipelineConfig",
    "SelectSection",
    "TrainSection",
    "load_pipeline_config",
    "model_paths",
]
