"""End to end: ``xcoder pipeline`` at a reduced size (real judge, real TRL trainers, real eval), then a
rerun that resumes every finished stage. Checks that the artifacts exist and are well formed, not
that the tiny run learns (BENCHMARKS.md records the full-size figures)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipeline.config import STAGES, load_pipeline_config
from xcoder.config import ConfigError
from xcoder.problem import load_problems

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ["sum_mod", "is_palindrome", "window_max_sum", "graph_components", "house_robber", "gcd_all"]


def small_config(out: Path) -> dict:
    return {
        "output_dir": str(out),
        "procedural": {
            "families": FAMILIES,
            "train_tasks": 24,
            "holdout_tasks": 6,
            "tests": {"small": 2, "medium": 1, "large": 1},
        },
        "model": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "num_kv_heads": 1},
        "data": {"tokenizer_corpus_tasks": 24},
        "sft": {
            "args": {
                "max_steps": 2,
                "per_device_train_batch_size": 4,
                "packing": False,
                "padding_free": False,
                "logging_steps": 1,
            },
            "threads": 1,
        },
        "grpo": {
            "args": {
                "max_steps": 2,
                "num_generations": 2,
                "per_device_train_batch_size": 2,
                "max_completion_length": 16,
                "logging_steps": 1,
                "reward_funcs": ["binary"],
            },
            "threads": 1,
        },
        "eval": {"n": 2, "max_tokens": 16},
        "judge": {"workers": 2},
    }


def run_cli(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xcoder.cli", "pipeline", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pipeline_end_to_end_and_resume(tmp_path):
    out = tmp_path / "demo"
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump(small_config(out)))

    first = run_cli(config)
    assert first.returncode == 0, first.stderr[-4000:]

    summary = json.loads((out / "summary.json").read_text())
    for model in ("base", "sft", "rl"):
        assert 0.0 <= summary[model]["avg@2"] <= 1.0
        assert summary[model]["num_problems"] == 6
        assert sum(summary[model]["verdicts"].values()) == 12  # 6 problems x 2 samples, every one accounted for
    assert set(summary["timings_seconds"]) >= {"data", "model", "verify", "sft", "grpo", "eval", "total"}
    sizes = summary["sizes"]
    assert sizes["train_tasks"] == 24 and sizes["holdout_problems"] == 6 and sizes["families"] == len(FAMILIES)
    assert 0 < sizes["sft_rows"] <= 24 and sizes["model_parameters"] > 0
    assert sizes["sft_steps"] == 2 and sizes["grpo_steps"] == 2

    # SFT - base and RL - SFT: paired over the held-out problems, from the eval's samples.jsonl.
    from eval.paired import per_problem_scores

    scores = {m: per_problem_scores(out / "eval" / m) for m in ("base", "sft", "rl")}
    for key, (a, b) in {"sft_minus_base": ("base", "sft"), "rl_minus_sft": ("sft", "rl")}.items():
        diffs = [scores[b][q] - scores[a][q] for q in scores[a]]
        paired = summary["paired"][key]
        assert len(diffs) == paired["num_problems"] == 6 and paired["num_runs"] == 1
        assert summary[key] == pytest.approx(sum(diffs) / 6, abs=1e-4)
        assert paired["diff"] == pytest.approx(sum(diffs) / 6)
        assert summary[f"{key}_counts"] == {
            "up": sum(d > 0 for d in diffs),
            "down": sum(d < 0 for d in diffs),
            "unchanged": sum(d == 0 for d in diffs),
        }
        low, high = summary[f"{key}_ci"]
        assert min(diffs) <= low <= paired["diff"] <= high <= max(diffs)

    report = (out / "report.md").read_text()
    assert "| after SFT |" in report and "avg@2" in report and "![avg_at_n](avg_at_n.png)" in report
    assert "- RL − SFT: " in report and "95% CI" in report and "paired over 6 held-out problems" in report
    assert "RL − SFT: " in first.stderr and "95% CI" in first.stderr  # the command's closing lines
    for png in ("sft_loss.png", "rl_reward.png", "avg_at_n.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png

    # The held-out split is LiveCodeBench rows that the core loader reads, with compressed private tests.
    problems, errors = load_problems(out / "data" / "holdout.jsonl")
    assert not errors and len(problems) == 6
    assert all(p.num_public >= 1 and len(p.private_tests) >= 3 for p in problems.values())
    rows = [json.loads(line) for line in (out / "data" / "holdout.jsonl").read_text().splitlines()]
    assert all(not r["private_test_cases"].startswith("[") for r in rows)
    # Training rows came through the shared SynthSmith stages.
    sft_rows = [json.loads(line) for line in (out / "synth" / "export" / "sft.jsonl").read_text().splitlines()]
    assert all(
        r["messages"][-1]["role"] == "assistant" and "```python" in r["messages"][-1]["content"] for r in sft_rows
    )
    assert all(r["source"].startswith("procedural:") for r in sft_rows)
    assert json.loads((out / "sft" / "log_history.json").read_text())
    assert (out / "eval" / "sft" / "eval_results.json").is_file()

    state = json.loads((out / "pipeline_state.json").read_text())["stages"]
    ran = [s for s in STAGES if s != "select"]  # select is off by default
    assert all(state[s]["finished"] for s in ran) and "select" not in state
    before = {s: state[s]["finished_at"] for s in ran if s != "report"}

    second = run_cli(config)
    assert second.returncode == 0, second.stderr[-4000:]
    for stage in before:
        assert f"{stage}: done" in second.stderr, stage
    after = json.loads((out / "pipeline_state.json").read_text())["stages"]
    assert {s: after[s]["finished_at"] for s in before} == before
    assert json.loads((out / "summary.json").read_text())["sft"] == summary["sft"]

    # Forcing a stage reruns it and everything after it, nothing before it.
    time.sleep(1.1)  # finished_at has one-second resolution
    third = subprocess.run(
        [sys.executable, "-m", "xcoder.cli", "pipeline", "--config", str(config), "--force", "grpo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert third.returncode == 0, third.stderr[-4000:]
    forced = json.loads((out / "pipeline_state.json").read_text())["stages"]
    assert {s: forced[s]["finished_at"] for s in ("data", "model", "verify", "sft")} == {
        s: before[s] for s in ("data", "model", "verify", "sft")
    }
    assert all(forced[s]["finished_at"] != before[s] for s in ("grpo", "eval"))


def test_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"eval": {"n": "eight"}}))
    with pytest.raises(ConfigError, match=r"eval\.n"):
        load_pipeline_config(bad)
    bad.write_text(yaml.safe_dump({"sft": {"argz": {}}}))
    with pytest.raises(ConfigError, match="argz"):
        load_pipeline_config(bad)
    bad.write_text(yaml.safe_dump({"procedural": {"families": ["no_such_family"]}}))
    with pytest.raises(ConfigError, match="no_such_family"):
        load_pipeline_config(bad)
    cfg = load_pipeline_config(ROOT / "recipes" / "tiny" / "pipeline.yaml")
    assert cfg.eval.n == 8 and cfg.grpo.recipe == "recipes/grpo.py" and cfg.sft.recipe == "recipes/sft.py"


def test_a_stage_whose_inputs_are_missing_stops_with_a_clear_message(tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml.safe_dump(small_config(tmp_path / "demo")))
    res = subprocess.run(
        [sys.executable, "-m", "xcoder.cli", "pipeline", "--config", str(config), "--stages", "sft"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2  # a user error now (xcoder.cli_errors); it was 1 before the CLI convention
    assert "stage 'data' has not finished" in res.stderr and "rerun the same command" in res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "xcoder.cli", "pipeline", "--config", str(config), "--stages", "sfft"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2 and "unknown stage" in res.stderr
