"""Stage ``verify``: the SynthSmith ``verify`` -> ``filter`` -> ``export`` stages, unchanged, on the
procedural records: candidates (reference, alternatives, buggy ones) are voted on by the judge, a
golden solution is chosen by dual verification, SFT and RL rows are exported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from pipeline.config import PipelineConfig
from pipeline.stages.data import make_judge
from xcoder.config import build
from xcoder.io import atomic_write_jsonl


def gen_config(cfg: PipelineConfig):
    """The SynthSmith config the shared stages run with (no LLM: every record is procedural)."""
    from data_gen.config import GenConfig

    data = {
        "llm": {"model": "procedural"},
        "output_dir": str(cfg.out / "synth"),
        "random_seed": cfg.seed,
        "judge": cfg.judge,
        "solutions": {"system_prompt": cfg.data.system_prompt},
        "verify": cfg.data.verify,
        "filter": cfg.data.filter,
        "export": {"name": "procedural", **cfg.data.export},
    }
    return build(GenConfig, data, "pipeline data section")


def stage_verify(cfg: PipelineConfig, console: Console, fresh: bool = True) -> dict[str, Any]:
    from data_gen.runner import run_stage

    gen = gen_config(cfg)
    summaries = {}
    for name in ("verify", "filter", "export"):
        console.rule(f"[bold]SynthSmith {name}")
        summary = run_stage(gen, name, force=fresh, console=console)
        console.print(summary.table())
        summaries[name] = {"kept": summary.kept, "dropped": dict(summary.dropped)}
    export = Path(gen.output_dir) / "export"
    info: dict[str, Any] = {
        "stages": summaries,
        **vote_statistics(gen.output_dir),
        "sft_file": "synth/export/sft.jsonl",
        "rl_file": "synth/export/rl.jsonl",
    }
    if cfg.data.rl_phrasings > 0:
        from pipeline.variants import split_by_phrasing

        sft_rows, rl_rows = split_by_phrasing(gen.output_dir, cfg.data.rl_phrasings)
        atomic_write_jsonl(export / "sft_split.jsonl", sft_rows)
        atomic_write_jsonl(export / "rl_split.jsonl", rl_rows)
        info.update(
            sft_file="synth/export/sft_split.jsonl",
            rl_file="synth/export/rl_split.jsonl",
            sft_rows=len(sft_rows),
            rl_rows=len(rl_rows),
        )
    if cfg.data.sft_solutions_per_task > 1:
        from pipeline.variants import more_solutions

        with make_judge(cfg) as judge:
            rows = more_solutions(gen.output_dir, cfg.data.sft_solutions_per_task, judge)
        atomic_write_jsonl(export / "sft_multi.jsonl", rows)
        info.update(sft_file="synth/export/sft_multi.jsonl", sft_rows=len(rows))
    return info


def vote_statistics(synth_dir: str | Path) -> dict[str, Any]:
    """What voting and dual verification did: which candidate became golden, how the buggy
    candidates fared on the voted suite, how many test inputs had no clear majority."""
    from data_gen.records import Solution, VerifiedTask
    from data_gen.storage import read_records

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
    return {
        "golden_roles": golden,
        "sft_rows": rows,
        "test_inputs_without_majority": unvoted,
        "candidates_passing_suite": {r: round(sum(v) / len(v), 4) for r, v in perfect.items() if v},
    }
