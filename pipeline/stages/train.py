"""Stages ``sft`` and ``grpo``: the training recipes (``recipes/sft.py``, ``recipes/grpo.py``) run as
subprocesses, exactly as a user launches them, with the recipe's base YAML plus the section's
``args`` plus what the pipeline must set (model, data, output directory) written as one file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from rich.console import Console

from pipeline.config import PipelineConfig, TrainSection, model_paths
from pipeline.state import State
from xcoder import cancel
from xcoder.config import read_yaml
from xcoder.io import atomic_write_json, atomic_write_jsonl, atomic_write_text


def train_config(cfg: PipelineConfig, section: str, forced: dict[str, Any], path: Path) -> Path:
    """The recipe's base YAML + the section's overrides + what the pipeline must set, as one file."""
    import yaml

    train: TrainSection = getattr(cfg, section)
    base = read_yaml(cfg.locate(f"{section}.config"))
    merged = {**base, **train.args, **forced}
    atomic_write_text(path, yaml.safe_dump(merged, sort_keys=False))
    return path


def run_recipe(script: Path, config_path: Path, log_path: Path, console: Console, threads: int | None = None) -> None:
    """Run a training recipe exactly as a user would (``python recipes/x.py --config ...``),
    streaming its output (progress bars included) to the terminal and to ``log_path``. The child
    imports from the same places as this process (a checkout or an installed wheel)."""
    cmd = [sys.executable, str(script), "--config", str(config_path)]
    console.print(f"[dim]$ {' '.join(cmd)}[/dim]")
    path = [p for p in sys.path if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "TOKENIZERS_PARALLELISM": "false"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(log_path, "wb") as log,
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env) as proc,
    ):
        pump = threading.Thread(target=_pump, args=(proc, log), daemon=True)
        pump.start()
        while proc.poll() is None:  # a stop request (Ctrl-C, SIGTERM) ends the recipe too
            if cancel.wait(cancel.POLL_SECONDS):
                _stop(proc)
                pump.join(timeout=5)
                raise cancel.Cancelled(f"the {script.stem} recipe was stopped (its log: {log_path})")
        pump.join()
        code = proc.wait()
    if code != 0:
        raise RuntimeError(f"{script} failed with exit code {code}; see {log_path}")


def _pump(proc: subprocess.Popen, log: Any) -> None:
    """Copy the recipe's output to its log and to the terminal as it comes."""
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read1(4096), b""):  # type: ignore[union-attr]
        log.write(chunk)
        log.flush()
        sys.stderr.buffer.write(chunk)
        sys.stderr.buffer.flush()


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def log_history(output_dir: Path) -> list[dict[str, Any]]:
    """The trainer's logged metrics (``trainer_state.json`` of its last checkpoint)."""
    states = sorted(output_dir.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    if not states:
        return []
    return json.loads(states[-1].read_text(encoding="utf-8")).get("log_history", [])


def forced_args(model: Path, output_dir: Path, dataset: str) -> dict[str, Any]:
    """The keys the pipeline sets; the rest comes from the recipe's YAML and the section's args."""
    return {
        "model_name_or_path": str(model.resolve()),
        "output_dir": str(output_dir.resolve()),
        "dataset_name": str(Path(dataset).resolve()),
        "save_strategy": "steps",
        "save_steps": 10**9,
        "save_only_model": True,
        "report_to": "none",
        "bf16": False,
    }


def clear_checkpoints(out: Path) -> None:
    for ckpt in out.glob("checkpoint-*"):
        shutil.rmtree(ckpt, ignore_errors=True)


def _train(
    cfg: PipelineConfig, section: str, forced: dict[str, Any], out: Path, console: Console
) -> tuple[list[dict], dict[str, str]]:
    """Run the section's recipe; its logged history, and which script and base YAML ran."""
    train: TrainSection = getattr(cfg, section)
    clear_checkpoints(out)
    config_path = train_config(cfg, section, forced, cfg.out / "configs" / f"{section}.yaml")
    script = cfg.locate(f"{section}.recipe")
    run_recipe(script, config_path, out / "train.log", console, train.threads)
    history = log_history(out)
    atomic_write_json(out / "log_history.json", history)
    return history, {"recipe": str(script), "base_config": str(cfg.locate(f"{section}.config"))}


def stage_sft(cfg: PipelineConfig, state: State, console: Console) -> dict[str, Any]:
    out = cfg.out / "sft"
    forced = {
        **forced_args(cfg.out / "model", out, str(cfg.out / state.get("verify")["info"]["sft_file"])),
        "build_tiny_model": False,
    }
    history, ran = _train(cfg, "sft", forced, out, console)
    losses = [h["loss"] for h in history if "loss" in h]
    return {
        **ran,
        "steps": max((h.get("step", 0) for h in history), default=0),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
    }


def grpo_forced_args(cfg: PipelineConfig, state: State, out: Path, rl_file: Path) -> dict[str, Any]:
    """What the pipeline sets in GRPO's config: model, data, output, and with ``grpo.replay_sft`` the
    SFT stage's training rows as ``replay_dataset``."""
    forced = forced_args(Path(model_paths(cfg)["sft"]), out, str(rl_file))
    if cfg.grpo.replay_sft:
        forced["replay_dataset"] = str((cfg.out / state.get("verify")["info"]["sft_file"]).resolve())
    return forced


def stage_grpo(cfg: PipelineConfig, state: State, console: Console) -> dict[str, Any]:
    out = cfg.out / "rl"
    rl_file = cfg.out / state.get("verify")["info"]["rl_file"]
    corrupted = 0
    if cfg.select.enabled:  # the rows the select stage kept, already with grpo.label_noise's corrupted tests
        info = state.get("select")["info"]
        rl_file, corrupted = cfg.out / info["rl_file"], info.get("corrupted_test_labels_kept", 0)
    elif cfg.grpo.label_noise > 0:
        from pipeline.variants import corrupt_labels

        rows, corrupted = corrupt_labels(rl_file, cfg.grpo.label_noise, cfg.seed)
        rl_file = rl_file.with_name("rl_noisy.jsonl")
        atomic_write_jsonl(rl_file, rows)
    history, ran = _train(cfg, "grpo", grpo_forced_args(cfg, state, out, rl_file), out, console)
    rewards = [h["reward"] for h in history if "reward" in h]
    rewards_mean = sum(rewards) / len(rewards) if rewards else None
    return {
        **ran,
        "steps": max((h.get("step", 0) for h in history), default=0),
        "mean_reward": rewards_mean,
        "corrupted_test_labels": corrupted,
        "first_reward": rewards[0] if rewards else None,
        "last_reward": rewards[-1] if rewards else None,
    }
