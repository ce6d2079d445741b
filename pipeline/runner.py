"""The whole xcoder pipeline on one machine, offline: ``xcoder pipeline --config recipes/tiny/pipeline.yaml``.

Stages (each resumable; a rerun skips every stage whose inputs and settings are unchanged):

1. ``data``   — procedural training tasks as SynthSmith records (``data_gen.procedural``) and a
   held-out split of unseen instances/phrasings/framings as LiveCodeBench rows;
2. ``model``  — the tiny Qwen2 model (``xcoder.tiny_model``), its tokenizer trained on the
   training statements and programs (never on the held-out split);
3. ``verify`` — the SynthSmith ``verify`` -> ``filter`` -> ``export`` stages, unchanged: candidates
   (reference, alternatives, buggy ones) are voted on by the judge, a golden solution is chosen
   by dual verification, SFT and RL rows are exported;
4. ``sft``    — ``recipes/sft.py`` run as a subprocess, the script users launch at scale;
5. ``grpo``   — ``recipes/grpo.py`` likewise, from the SFT model, on execution rewards;
6. ``eval``   — ``eval.runner.run_eval`` (transformers backend) on the held-out split for the
   base, SFT and RL models: avg@n with LiveCodeBench's protocol;
7. ``report`` — ``summary.json``, ``report.md`` and plots (``data_gen.pipeline_report``).

``output_dir/pipeline_state.json`` records each finished stage with a fingerprint of its settings
and of the stages before it; a stage reruns (with everything after it) only when that changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rich.console import Console

from xcoder.config import ConfigError, build as build_dataclass, config_to_dict, read_yaml
from data_gen.procedural import ProceduralConfig
from xcoder.io import atomic_write_json, atomic_write_jsonl, atomic_write_text

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = "pipeline_state.json"
STAGES = ("data", "model", "verify", "sft", "grpo", "eval", "report")
MODELS = ("base", "sft", "rl")


def _help(text: str, **kw: Any) -> Any:
    return field(metadata={"help": text}, **kw)


@dataclass
class ModelSection:
    """The tiny model (see ``xcoder.tiny_model.TinyModelSpec``)."""

    vocab_size: int = _help("Upper bound of the BPE vocabulary.", default=4096)
    hidden_size: int = _help("Width of the residual stream.", default=192)
    num_layers: int = _help("Decoder layers.", default=4)
    num_heads: int = _help("Attention heads.", default=4)
    num_kv_heads: int = _help("Key/value heads.", default=2)
    max_position_embeddings: int = _help("Longest sequence.", default=1024)
    seed: int = _help("Weight initialisation seed.", default=0)
    corpus_tasks: int = _help("Training tasks whose prompt and program text also train the tokenizer.", default=300)


@dataclass
class DataSection:
    """Options of the shared SynthSmith stages run on the procedural records (``data_gen.config``
    sections ``verify``, ``filter``, ``export``), and the system prompt of the exported rows."""

    verify: dict[str, Any] = _help("data_gen VerifyConfig fields.", default_factory=dict)
    filter: dict[str, Any] = _help("data_gen FilterConfig fields.",
                                   default_factory=lambda: {"near_dup_threshold": None, "min_tests": 3})
    export: dict[str, Any] = _help("data_gen ExportConfig fields.", default_factory=lambda: {"formats": ["jsonl"]})
    system_prompt: str | None = _help(
        "System prompt of SFT/RL rows and eval ('default': xcoder's LCB one; None: none, shorter prompts).",
        default=None)
    sft_solutions_per_task: int = _help(
        "SFT rows per task: the golden solution plus up to k-1 other candidates the judge accepts on all voted "
        "tests (alternatives first). For the unique-tasks vs solutions-per-task ablation.", default=1)


@dataclass
class TrainSection:
    """One training recipe run as a subprocess: its YAML, plus overrides the pipeline applies."""

    recipe: str = _help("Launch script, relative to the repository root.", default="recipes/sft.py")
    config: str = _help("The recipe's base YAML, relative to the repository root.", default="recipes/tiny/sft.yaml")
    args: dict[str, Any] = _help("Keys overriding the base YAML (any of the recipe's config keys).",
                                 default_factory=dict)
    enabled: bool = _help("Run this stage (a disabled stage's model is its input model).", default=True)
    threads: int | None = _help("CPU threads of the training process (OMP_NUM_THREADS; None: torch's default). "
                                "On a busy shared machine 1 is often faster than 2.", default=None)


@dataclass
class GRPOSection(TrainSection):
    """GRPO on execution rewards: ``recipes/grpo.py`` from the SFT model."""

    recipe: str = _help("Launch script, relative to the repository root.", default="recipes/grpo.py")
    config: str = _help("The recipe's base YAML, relative to the repository root.", default="recipes/tiny/grpo.yaml")
    label_noise: float = _help(
        "Share of the RL rows' test outputs deliberately corrupted before GRPO (0: none), for the "
        "threshold-vs-binary reward ablation. SFT rows and the held-out split are never touched.", default=0.0)


@dataclass
class EvalSection:
    """Held-out evaluation (``eval.runner``), LiveCodeBench's sampling protocol by default."""

    n: int = _help("Samples per problem (avg@n).", default=8)
    temperature: float = _help("Sampling temperature.", default=0.6)
    top_p: float = _help("Nucleus sampling.", default=0.95)
    max_tokens: int = _help("New tokens per sample (the tiny model's programs are short).", default=256)
    batch_size: int = _help("Sequences per generate() call.", default=8)
    seed: int = _help("Sampling seed.", default=0)
    threads: int | None = _help("torch CPU threads while generating (None: torch's default). A tiny model's "
                                "decoding is dispatch-bound; 1 thread avoids contention.", default=1)
    models: list[str] = _help("Which models to evaluate: base, sft, rl.", default_factory=lambda: list(MODELS))

    def __post_init__(self) -> None:
        bad = sorted(set(self.models) - set(MODELS))
        if bad:
            raise ConfigError(f"eval.models: unknown model(s) {bad}; known: {list(MODELS)}")


@dataclass
class JudgeSection:
    workers: int = _help("Judge workers (0: one per core).", default=0)
    timeout: float = _help("Seconds per test.", default=6.0)
    memory_mb: int = _help("Memory limit per program.", default=2048)


@dataclass
class PipelineConfig:
    """The whole offline pipeline (``recipes/tiny/pipeline.yaml``)."""

    output_dir: str = _help("Where every stage writes.", default="runs/demo")
    seed: int = _help("Seed of the task sampler (the training recipes keep their own seeds).", default=0)
    procedural: ProceduralConfig = _help("Procedural task sampling.", default_factory=ProceduralConfig)
    model: ModelSection = _help("The tiny model.", default_factory=ModelSection)
    data: DataSection = _help("Verification, filtering and export options.", default_factory=DataSection)
    sft: TrainSection = _help("Supervised fine-tuning.", default_factory=TrainSection)
    grpo: GRPOSection = _help("GRPO on execution rewards.", default_factory=GRPOSection)
    eval: EvalSection = _help("Held-out evaluation.", default_factory=EvalSection)
    judge: JudgeSection = _help("The judge.", default_factory=JudgeSection)
    time_budget_minutes: float | None = _help(
        "Wall-clock budget reported against in report.md (None: none). Not enforced.", default=15.0)

    @property
    def out(self) -> Path:
        return Path(self.output_dir)


def load_pipeline_config(path: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """Read the YAML; unknown keys and wrong types fail with the key path (``data_gen.config``)."""
    data = read_yaml(path, overrides)
    procedural = data.pop("procedural", None) or {}
    config = build_dataclass(PipelineConfig, data, str(path))
    try:
        config.procedural = build_dataclass(ProceduralConfig, {"seed": config.seed, **procedural}, f"{path}:procedural")
    except ValueError as err:
        raise ConfigError(str(err)) from None
    return config


# --------------------------------------------------------------------------------------------
# Stage bookkeeping


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class State:
    """``pipeline_state.json``: finished stages with fingerprints, timings and outputs."""

    def __init__(self, out: Path):
        self.path = out / STATE_FILE
        self.data: dict[str, Any] = {"stages": {}}
        if self.path.exists():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))

    def done(self, stage: str, fingerprint: str) -> bool:
        entry = self.data["stages"].get(stage)
        return bool(entry and entry.get("fingerprint") == fingerprint and entry.get("finished"))

    def get(self, stage: str) -> dict[str, Any]:
        return self.data["stages"].get(stage, {})

    def resuming(self, stage: str, fingerprint: str) -> bool:
        """Whether ``stage`` was started with these settings and not finished (killed): its own
        caches are then kept and it continues; otherwise it starts fresh."""
        entry = self.data["stages"].get(stage)
        return bool(entry and entry.get("fingerprint") == fingerprint and not entry.get("finished"))

    def start(self, stage: str, fingerprint: str) -> None:
        self.data["stages"][stage] = {"fingerprint": fingerprint, "finished": False}
        atomic_write_json(self.path, self.data)

    def finish(self, stage: str, fingerprint: str, seconds: float, info: dict[str, Any]) -> None:
        self.data["stages"][stage] = {"fingerprint": fingerprint, "finished": True, "seconds": round(seconds, 2),
                                      "info": info, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        atomic_write_json(self.path, self.data)


# --------------------------------------------------------------------------------------------
# The stages


def _gen_config(cfg: PipelineConfig):
    """The SynthSmith config the shared stages run with (no LLM: every record is procedural)."""
    from data_gen.config import GenConfig

    data = {
        "llm": {"model": "procedural"},
        "output_dir": str(cfg.out / "synth"),
        "random_seed": cfg.seed,
        "judge": {"workers": cfg.judge.workers, "timeout": cfg.judge.timeout, "memory_mb": cfg.judge.memory_mb},
        "solutions": {"system_prompt": cfg.data.system_prompt},
        "verify": cfg.data.verify,
        "filter": cfg.data.filter,
        "export": {"name": "procedural", **cfg.data.export},
    }
    return build_dataclass(GenConfig, data, "pipeline data section")


def _judge(cfg: PipelineConfig):
    from xcoder.judge import Judge, JudgeConfig

    return Judge(JudgeConfig(workers=cfg.judge.workers, timeout=cfg.judge.timeout, memory_mb=cfg.judge.memory_mb))


def stage_data(cfg: PipelineConfig, console: Console) -> dict[str, Any]:
    from data_gen.procedural import holdout_problems, instance_records, sample_instances
    from data_gen.runner import write_records
    from xcoder.problem import problem_to_lcb_row

    pc = cfg.procedural
    with console.status("sampling procedural tasks"):
        train = sample_instances(pc, "train")
        holdout = sample_instances(pc, "holdout")
    tasks, solutions, tests = [], [], []
    for inst in train:
        task, sols, tin = instance_records(inst, pc)
        tasks.append(task)
        solutions.extend(sols)
        tests.append(tin)
    synth = cfg.out / "synth"
    # A changed config must not leave records of an earlier run behind in the stage directories.
    for stage in ("tasks", "solutions", "tests"):
        write_records(synth, stage, {"tasks": tasks, "solutions": solutions, "tests": tests}[stage], writer="procedural")
    with _judge(cfg) as judge:
        problems = holdout_problems(holdout, judge, progress=True)
    atomic_write_jsonl(cfg.out / "data" / "holdout.jsonl", [problem_to_lcb_row(p) for p in problems])
    roles: dict[str, int] = {}
    for s in solutions:
        roles[s.provenance.extra["role"]] = roles.get(s.provenance.extra["role"], 0) + 1
    corpus = [f"{t.question}\n{s.code}" for t, s in zip(tasks, (s for s in solutions if s.index == 0))]
    atomic_write_text(cfg.out / "data" / "tokenizer_corpus.txt", "\n========\n".join(corpus[: cfg.model.corpus_tasks]))
    return {"train_tasks": len(tasks), "candidates": roles, "holdout_problems": len(problems),
            "families": len({i.family.name for i in train}), "test_inputs": sum(len(t.inputs) for t in tests)}


def stage_model(cfg: PipelineConfig, console: Console) -> dict[str, Any]:
    from xcoder.tiny_model import MARKER_FILE, TinyModelSpec, build_tiny_model

    m = cfg.model
    spec = TinyModelSpec(vocab_size=m.vocab_size, hidden_size=m.hidden_size, num_layers=m.num_layers,
                         num_heads=m.num_heads, num_kv_heads=m.num_kv_heads,
                         max_position_embeddings=m.max_position_embeddings, seed=m.seed,
                         corpus_files=[str(cfg.out / "data" / "tokenizer_corpus.txt")])
    with console.status("building the tiny model"):
        path = build_tiny_model(cfg.out / "model", spec, overwrite=True)
    info = json.loads((path / MARKER_FILE).read_text(encoding="utf-8"))
    return {"parameters": info["parameters"], "vocab": info["vocab"]}


def stage_verify(cfg: PipelineConfig, console: Console, fresh: bool = True) -> dict[str, Any]:
    from data_gen.runner import run_stage

    gen = _gen_config(cfg)
    summaries = {}
    for name in ("verify", "filter", "export"):
        console.rule(f"[bold]SynthSmith {name}")
        summary = run_stage(gen, name, force=fresh, console=console)
        console.print(summary.table())
        summaries[name] = {"kept": summary.kept, "dropped": dict(summary.dropped)}
    export = Path(gen.output_dir) / "export"
    info: dict[str, Any] = {"stages": summaries, **vote_statistics(gen.output_dir),
                            "sft_file": "synth/export/sft.jsonl", "rl_file": "synth/export/rl.jsonl"}
    if cfg.data.sft_solutions_per_task > 1:
        from data_gen.procedural.variants import more_solutions

        with _judge(cfg) as judge:
            rows = more_solutions(gen.output_dir, cfg.data.sft_solutions_per_task, judge)
        atomic_write_jsonl(export / "sft_multi.jsonl", rows)
        info.update(sft_file="synth/export/sft_multi.jsonl", sft_rows=len(rows))
    return info


def vote_statistics(synth_dir: str | Path) -> dict[str, Any]:
    """What voting and dual verification did: which candidate became golden, how the buggy
    candidates fared on the voted suite, how many test inputs had no clear majority."""
    from data_gen.records import Solution, VerifiedTask
    from data_gen.runner import read_records

    verified = read_records(synth_dir, "verify", VerifiedTask)
    roles = {s.id: s.provenance.extra.get("role", "?") for s in read_records(synth_dir, "solutions", Solution)}
    golden: dict[str, int] = {}
    perfect: dict[str, list[bool]] = {}
    unvoted = 0
    for vt in verified:
        golden[roles.get(vt.golden.id, "?")] = golden.get(roles.get(vt.golden.id, "?"), 0) + 1
        for sid, score in vt.candidate_scores.items():
            perfect.setdefault(roles.get(sid, "?"), []).append(score >= 1.0)
        unvoted += sum(vt.provenance.extra.get("dropped_tests", {}).values())
    rows = len((Path(synth_dir) / "export" / "sft.jsonl").read_text(encoding="utf-8").splitlines())
    return {"golden_roles": golden, "sft_rows": rows, "test_inputs_without_majority": unvoted,
            "candidates_passing_suite": {r: round(sum(v) / len(v), 4) for r, v in perfect.items() if v}}


def _train_config(section: TrainSection, forced: dict[str, Any], path: Path) -> Path:
    """The recipe's base YAML + the section's overrides + what the pipeline must set, as one file."""
    import yaml

    base = read_yaml(REPO_ROOT / section.config)
    merged = {**base, **section.args, **forced}
    atomic_write_text(path, yaml.safe_dump(merged, sort_keys=False))
    return path


def run_recipe(recipe: str, config_path: Path, log_path: Path, console: Console, threads: int | None = None) -> None:
    """Run a training recipe exactly as a user would (``python recipes/x.py --config ...``),
    streaming its output (progress bars included) to the terminal and to ``log_path``."""
    script = REPO_ROOT / recipe
    if not script.is_file():
        raise FileNotFoundError(f"training recipe {script} does not exist")
    cmd = [sys.executable, str(script), "--config", str(config_path)]
    console.print(f"[dim]$ {' '.join(cmd)}[/dim]")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "TOKENIZERS_PARALLELISM": "false"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                      cwd=REPO_ROOT, env=env) as proc:
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read1(4096), b""):  # type: ignore[union-attr]
            log.write(chunk)
            log.flush()
            sys.stderr.buffer.write(chunk)
            sys.stderr.buffer.flush()
        code = proc.wait()
    if code != 0:
        raise RuntimeError(f"{recipe} failed with exit code {code}; see {log_path}")


def log_history(output_dir: Path) -> list[dict[str, Any]]:
    """The trainer's logged metrics (``trainer_state.json`` of its last checkpoint)."""
    states = sorted(output_dir.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    if not states:
        return []
    return json.loads(states[-1].read_text(encoding="utf-8")).get("log_history", [])


# The pipeline sets these; the rest comes from the recipe's YAML and the section's args.
def _forced(model: Path, output_dir: Path, dataset: str) -> dict[str, Any]:
    return {"model_name_or_path": str(model.resolve()), "output_dir": str(output_dir.resolve()),
            "dataset_name": str(Path(dataset).resolve()), "save_strategy": "steps", "save_steps": 10**9,
            "save_only_model": True, "report_to": "none", "bf16": False}


def stage_sft(cfg: PipelineConfig, state: State, console: Console) -> dict[str, Any]:
    out = cfg.out / "sft"
    forced = {**_forced(cfg.out / "model", out, str(cfg.out / state.get("verify")["info"]["sft_file"])),
              "build_tiny_model": False}
    _clear_checkpoints(out)
    config_path = _train_config(cfg.sft, forced, cfg.out / "configs" / "sft.yaml")
    run_recipe(cfg.sft.recipe, config_path, out / "train.log", console, cfg.sft.threads)
    history = log_history(out)
    atomic_write_json(out / "log_history.json", history)
    losses = [h["loss"] for h in history if "loss" in h]
    return {"steps": max((h.get("step", 0) for h in history), default=0),
            "first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None}


def stage_grpo(cfg: PipelineConfig, state: State, console: Console) -> dict[str, Any]:
    out = cfg.out / "rl"
    rl_file = cfg.out / state.get("verify")["info"]["rl_file"]
    corrupted = 0
    if cfg.grpo.label_noise > 0:
        from data_gen.procedural.variants import corrupt_labels

        rows, corrupted = corrupt_labels(rl_file, cfg.grpo.label_noise, cfg.seed)
        rl_file = rl_file.with_name("rl_noisy.jsonl")
        atomic_write_jsonl(rl_file, rows)
    forced = _forced(Path(model_paths(cfg)["sft"]), out, str(rl_file))
    _clear_checkpoints(out)
    config_path = _train_config(cfg.grpo, forced, cfg.out / "configs" / "grpo.yaml")
    run_recipe(cfg.grpo.recipe, config_path, out / "train.log", console, cfg.grpo.threads)
    history = log_history(out)
    atomic_write_json(out / "log_history.json", history)
    rewards = [h["reward"] for h in history if "reward" in h]
    rewards_mean = sum(rewards) / len(rewards) if rewards else None
    return {"steps": max((h.get("step", 0) for h in history), default=0), "mean_reward": rewards_mean,
            "corrupted_test_labels": corrupted,
            "first_reward": rewards[0] if rewards else None, "last_reward": rewards[-1] if rewards else None}


def _clear_checkpoints(out: Path) -> None:
    import shutil

    for ckpt in out.glob("checkpoint-*"):
        shutil.rmtree(ckpt, ignore_errors=True)


def model_paths(cfg: PipelineConfig) -> dict[str, str]:
    """The model directory of base, SFT and RL (a disabled stage passes its input through). Paths
    derive from ``output_dir`` only, so a copied output directory resumes correctly."""
    base = str(cfg.out / "model")
    sft = str(cfg.out / "sft") if cfg.sft.enabled else base
    rl = str(cfg.out / "rl") if cfg.grpo.enabled else sft
    return {"base": base, "sft": sft, "rl": rl}


def stage_eval(cfg: PipelineConfig, state: State, console: Console, fresh: bool = True) -> dict[str, Any]:
    import shutil

    import torch

    if fresh:  # a retrained model keeps its path: cached generations of the old one must go
        shutil.rmtree(cfg.out / "eval", ignore_errors=True)

    threads = torch.get_num_threads()
    if cfg.eval.threads:
        torch.set_num_threads(cfg.eval.threads)
    try:
        paths = model_paths(cfg)
        return {name: _eval_one(cfg, name, paths[name], console) for name in MODELS if name in cfg.eval.models}
    finally:
        torch.set_num_threads(threads)


def _eval_one(cfg: PipelineConfig, name: str, path: str, console: Console) -> dict[str, Any]:
    """``eval.runner.run_eval`` on the held-out split; its own caches make a killed eval resumable."""
    from eval.dataset import DatasetConfig
    from eval.generate import GenerationConfig, SamplingConfig
    from eval.runner import EvalConfig, JudgeSettings, run_eval

    e = cfg.eval
    console.rule(f"[bold]eval: {name} model ({path})")
    res = run_eval(EvalConfig(
        dataset=DatasetConfig(str(cfg.out / "data" / "holdout.jsonl")),
        output_dir=str(cfg.out / "eval" / name),
        generation=GenerationConfig(backend="transformers", model=path, system_prompt=cfg.data.system_prompt,
                                    batch_size=e.batch_size, device="cpu"),
        sampling=SamplingConfig(n=e.n, temperature=e.temperature, top_p=e.top_p, max_tokens=e.max_tokens, seed=e.seed),
        judge=JudgeSettings(timeout=cfg.judge.timeout, memory_mb=cfg.judge.memory_mb, workers=cfg.judge.workers),
        name=name, overwrite=True,
    ))
    overall = res["overall"]
    result = {k: overall[k] for k in overall if k.startswith(("avg@", "pass@", "num_"))}
    result["verdicts"] = res["verdicts"]
    result["by_difficulty"] = {d: v.get(f"avg@{e.n}") for d, v in res["by_difficulty"].items()}
    result["by_platform"] = {d: v.get(f"avg@{e.n}") for d, v in res["by_platform"].items()}
    console.print(f"{name}: avg@{e.n} = {overall[f'avg@{e.n}']:.3f}")
    return result


# --------------------------------------------------------------------------------------------
# Driver


def _stage_settings(cfg: PipelineConfig) -> dict[str, Any]:
    """What each stage's output depends on (besides the stages before it)."""
    def read(rel: str) -> str:
        p = REPO_ROOT / rel
        return p.read_text(encoding="utf-8") if p.is_file() else ""

    return {
        "data": [config_to_dict(cfg.procedural), config_to_dict(cfg.judge)],
        "model": [config_to_dict(cfg.model)],
        "verify": [config_to_dict(cfg.data), config_to_dict(cfg.judge)],
        "sft": [config_to_dict(cfg.sft), read(cfg.sft.config)],
        "grpo": [config_to_dict(cfg.grpo), read(cfg.grpo.config)],
        "eval": [config_to_dict(cfg.eval), config_to_dict(cfg.judge), cfg.data.system_prompt],
        "report": [cfg.time_budget_minutes],
    }


def run_pipeline(cfg: PipelineConfig, *, stages: tuple[str, ...] = STAGES, force: tuple[str, ...] = (),
                 console: Console | None = None) -> dict[str, Any]:
    """Run (or resume) the pipeline; returns the summary (``summary.json``'s content)."""
    from data_gen import pipeline_report

    console = console or Console(stderr=True)
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "pipeline_config.json", config_to_dict(cfg))
    state = State(out)
    settings = _stage_settings(cfg)
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "data": lambda: stage_data(cfg, console),
        "model": lambda: stage_model(cfg, console),
        "verify": lambda: stage_verify(cfg, console, fresh),
        "sft": lambda: stage_sft(cfg, state, console),
        "grpo": lambda: stage_grpo(cfg, state, console),
        "eval": lambda: stage_eval(cfg, state, console, fresh),
        "report": lambda: pipeline_report.write_report(cfg, state),
    }
    enabled = {"sft": cfg.sft.enabled, "grpo": cfg.grpo.enabled}
    upstream = ""
    fresh = True
    started = time.monotonic()
    for stage in STAGES:
        fp = _fingerprint(upstream, stage, settings[stage], enabled.get(stage, True))
        if not enabled.get(stage, True):
            console.print(f"[dim]{stage}: disabled[/dim]")
        elif stage not in stages:
            pass
        elif state.done(stage, fp) and stage not in force and stage != "report":
            console.print(f"[green]✓[/green] {stage}: done ({state.get(stage)['seconds']:.0f} s), skipped")
        else:
            missing = [p for p in STAGES[: STAGES.index(stage)] if enabled.get(p, True) and not state.get(p).get("finished")]
            if missing:
                raise RuntimeError(f"cannot run stage {stage!r}: stage {missing[0]!r} has not finished in {out}; "
                                   f"run without --only (or with --only {missing[0]}) first")
            fresh = not state.resuming(stage, fp)
            console.rule(f"[bold cyan]pipeline stage: {stage}" + ("" if fresh else " (resuming)"))
            state.start(stage, fp)
            t0 = time.monotonic()
            info = runners[stage]()
            state.finish(stage, fp, time.monotonic() - t0, info)
            console.print(f"[green]✓[/green] {stage}: {time.monotonic() - t0:.0f} s")
        # Later stages depend on this one's settings *and* on which run of it produced its output,
        # so rerunning a stage (--force) reruns everything after it.
        upstream = _fingerprint(fp, state.get(stage).get("finished_at"))
    console.print(f"pipeline finished in {time.monotonic() - started:.0f} s (this run); see {out / 'report.md'}")
    summary_path = out / "summary.json"
    return json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}

