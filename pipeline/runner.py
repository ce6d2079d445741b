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
5. ``select`` — optional, off by default (``select.enabled``): the RL rows sampled k times with the
   SFT model and judged; GRPO gets the rows whose pass rate is in ``select.band`` (``eval.pass_rate``);
6. ``grpo``   — ``recipes/grpo.py`` likewise, from the SFT model, on execution rewards;
7. ``eval``   — ``eval.runner.run_eval`` (transformers backend) on the held-out split for the
   base, SFT and RL models: avg@n with LiveCodeBench's protocol;
8. ``report`` — ``summary.json``, ``report.md`` and plots (``pipeline.report``).

``output_dir/pipeline_state.json`` (:mod:`pipeline.state`) records each finished stage with a
fingerprint of its settings and of the stages before it; a stage reruns (with everything after it)
only when that changes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console

from pipeline.config import OPTIONAL_STAGES, STAGES, PipelineConfig
from pipeline.report import write_report
from pipeline.stages import stage_data, stage_eval, stage_grpo, stage_model, stage_select, stage_sft, stage_verify
from pipeline.state import State
from xcoder.cancel import Cancelled
from xcoder.cli_errors import UserError
from xcoder.config import config_to_dict
from xcoder.hashing import fingerprint
from xcoder.io import atomic_write_json


def stage_settings(cfg: PipelineConfig) -> dict[str, Any]:
    """What each stage's output depends on (besides the stages before it)."""

    def text(key: str) -> str:
        return cfg.locate(key).read_text(encoding="utf-8") if getattr(cfg, key.split(".")[0]).enabled else ""

    return {
        "data": [config_to_dict(cfg.procedural), config_to_dict(cfg.judge), cfg.data.tokenizer_corpus_tasks],
        "model": [config_to_dict(cfg.model)],
        "verify": [config_to_dict(cfg.data), config_to_dict(cfg.judge)],
        "sft": [config_to_dict(cfg.sft), text("sft.config")],
        # grpo.label_noise corrupts the rows select judges; named only when set, so other runs' fingerprints hold
        "select": [config_to_dict(cfg.select), config_to_dict(cfg.judge)]
        + ([cfg.grpo.label_noise] if cfg.grpo.label_noise else []),
        "grpo": [_grpo_settings(cfg), text("grpo.config")],
        "eval": [config_to_dict(cfg.eval), config_to_dict(cfg.judge), cfg.data.system_prompt],
        "report": [cfg.time_budget_minutes],
    }


def _grpo_settings(cfg: PipelineConfig) -> dict[str, Any]:
    """The grpo section; ``replay_sft`` named only when on, so runs from before it existed keep their fingerprints."""
    settings = config_to_dict(cfg.grpo)
    if not settings.get("replay_sft"):
        settings.pop("replay_sft", None)
    return settings


def check_stages(names: tuple[str, ...] | list[str], what: str = "stage") -> None:
    """A :class:`UserError` naming unknown stage names."""
    bad = sorted(set(names) - set(STAGES))
    if bad:
        raise UserError(f"unknown {what}(s) {', '.join(bad)}; stages: {', '.join(STAGES)}")


def run_pipeline(
    cfg: PipelineConfig,
    *,
    stages: tuple[str, ...] = STAGES,
    force: tuple[str, ...] = (),
    console: Console | None = None,
) -> dict[str, Any]:
    """Run (or resume) the pipeline; returns the summary (``summary.json``'s content).

    A stage asked for whose input stages have not finished raises :class:`UserError`; a stage
    that fails raises (``RuntimeError`` from a training recipe, with its log path)."""
    check_stages(stages)
    check_stages(force)
    if {"sft", "grpo"} & set(stages) and (cfg.sft.enabled or cfg.grpo.enabled):
        from xcoder.train.versions import version_problems

        if problems := version_problems():  # before any data work, not at the sft stage minutes later
            raise UserError("; ".join(problems))
    console = console or Console(stderr=True)
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "pipeline_config.json", config_to_dict(cfg))
    state = State(out)
    settings = stage_settings(cfg)
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "data": lambda: stage_data(cfg, console),
        "model": lambda: stage_model(cfg, console),
        "verify": lambda: stage_verify(cfg, console, fresh),
        "sft": lambda: stage_sft(cfg, state, console),
        "select": lambda: stage_select(cfg, state, console, fresh),
        "grpo": lambda: stage_grpo(cfg, state, console),
        "eval": lambda: stage_eval(cfg, state, console, fresh),
        "report": lambda: write_report(cfg, state),
    }
    enabled = {"sft": cfg.sft.enabled, "select": cfg.select.enabled, "grpo": cfg.grpo.enabled}
    upstream = ""
    fresh = True
    started = time.monotonic()
    for stage in STAGES:
        if stage in OPTIONAL_STAGES and not enabled[stage]:
            continue  # off: as if the stage did not exist, so the fingerprints of runs without it hold
        fp = fingerprint(upstream, stage, settings[stage], enabled.get(stage, True))
        if not enabled.get(stage, True):
            console.print(f"[dim]{stage}: disabled[/dim]")
        elif stage not in stages:
            pass
        elif state.done(stage, fp) and stage not in force and stage != "report":
            console.print(f"[green]✓[/green] {stage}: done ({state.get(stage)['seconds']:.0f} s), skipped")
        else:
            missing = [
                p for p in STAGES[: STAGES.index(stage)] if enabled.get(p, True) and not state.get(p).get("finished")
            ]
            if missing:
                raise UserError(
                    f"cannot run stage {stage!r}: stage {missing[0]!r} has not finished in {out}; run it "
                    f"first (--stages {missing[0]}, or no --stages), then rerun the same command"
                )
            fresh = not state.resuming(stage, fp)
            console.rule(f"[bold cyan]pipeline stage: {stage}" + ("" if fresh else " (resuming)"))
            state.start(stage, fp)
            t0 = time.monotonic()
            try:
                info = runners[stage]()
            except Cancelled as stop:
                done = [s for s in STAGES if state.get(s).get("finished")]
                raise Cancelled(
                    f"stage {stage} stopped ({stop.kept or 'nothing of it kept'}); finished stages: "
                    f"{', '.join(done) or 'none'}"
                ) from None
            state.finish(stage, fp, time.monotonic() - t0, info)
            console.print(f"[green]✓[/green] {stage}: {time.monotonic() - t0:.0f} s")
        # Later stages depend on this one's settings *and* on which run of it produced its output,
        # so rerunning a stage (--force) reruns everything after it.
        upstream = fingerprint(fp, state.get(stage).get("finished_at"))
    console.print(f"pipeline finished in {time.monotonic() - started:.0f} s (this run); see {out / 'report.md'}")
    summary_path = out / "summary.json"
    return json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}


__all__ = ["check_stages", "run_pipeline", "stage_settings"]
