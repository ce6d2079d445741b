"""The learning benchmark (``benchmarks/learning.py``, :mod:`pipeline.learning`): pooling of paired
comparisons over seeds, reward trends and the verdict on synthetic eval outputs written in the real
layout (``samples.jsonl``, ``rl/log_history.json``); then one tiny real run end to end (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.learning import pool, reward_trend, seed_dir, write_results

ROOT = Path(__file__).resolve().parents[1]
N = 4  # samples per problem


def write_eval(run: Path, model: str, correct: dict[str, int]) -> None:
    """``run/eval/<model>/samples.jsonl`` as eval.runner writes it (the fields eval.paired reads)."""
    path = run / "eval" / model / "samples.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {"question_id": q, "code_list": [""] * N, "graded_list": [i < c for i in range(N)]} for q, c in correct.items()
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def write_history(run: Path, rewards: list[float]) -> None:
    """``run/rl/log_history.json`` as the grpo stage writes it: per-step entries, then the trainer's summary."""
    history = [{"step": i + 1, "reward": r, "loss": 0.0} for i, r in enumerate(rewards)]
    history.append({"step": len(rewards), "train_runtime": 12.3})  # no reward: not a point of the curve
    (run / "rl").mkdir(parents=True, exist_ok=True)
    (run / "rl" / "log_history.json").write_text(json.dumps(history))


RISING = [0.1, 0.15, 0.1, 0.2, 0.25, 0.2, 0.3, 0.35, 0.3, 0.4, 0.45, 0.4]
FLAT = [0.2, 0.3] * 6


def make_runs(out: Path, seed1_rewards: list[float]) -> None:
    # Seed 0: 30 problems; SFT solves problem i (i % 5) of 4 times; RL one more time on 12 problems, one
    # fewer on 2: RL - SFT = (12 - 2) / 4 / 30.
    sft0 = {f"s0-{i}": i % 5 for i in range(30)}
    rl0 = dict(sft0)
    ups = [q for q, c in sft0.items() if c < N][:12]
    downs = [q for q, c in sft0.items() if c > 0 and q not in ups][:2]
    for q in ups:
        rl0[q] += 1
    for q in downs:
        rl0[q] -= 1
    run0 = seed_dir(out, 0)
    write_eval(run0, "base", {q: 0 for q in sft0})
    write_eval(run0, "sft", sft0)
    write_eval(run0, "rl", rl0)
    write_history(run0, RISING)
    # Seed 1: its own 20 problems; RL = SFT on every one.
    sft1 = {f"s1-{i}": (i % 3) for i in range(20)}
    run1 = seed_dir(out, 1)
    write_eval(run1, "base", {q: 0 for q in sft1})
    write_eval(run1, "sft", sft1)
    write_eval(run1, "rl", sft1)
    write_history(run1, seed1_rewards)


def test_reward_trend_compares_the_last_third_with_the_first_by_its_standard_error():
    t = reward_trend([0.0, 0.2, 0.1, 0.1, 0.3, 0.2, 0.5, 0.7, 0.6])
    assert (t.steps, round(t.first_third, 6), round(t.last_third, 6)) == (9, 0.1, 0.6)
    assert round(t.diff, 6) == 0.5 and round(t.se, 4) == round((2 * 0.01 / 3) ** 0.5, 4) and t.rising
    noisy = reward_trend([0.0, 1.0, 0.0, 0.5, 0.5, 0.5, 1.0, 0.0, 0.4])  # up 0.13 on average, SE 0.44: not rising
    assert noisy.diff > 0 and noisy.diff < noisy.se and noisy.rising is False
    assert reward_trend(FLAT).rising is False
    assert reward_trend([0.1, 0.2, 0.3, 0.4, 0.5]).rising is None  # fewer than 6 steps: no verdict


def test_pool_pairs_per_seed_and_stratified_over_seeds(tmp_path):
    make_runs(tmp_path, FLAT)
    res = pool(tmp_path, [0, 1], resamples=2000)
    s0, s1 = res["per_seed"]["0"], res["per_seed"]["1"]
    assert s0["problems"] == 30 and s1["problems"] == 20
    assert s0["rl_minus_sft"]["diff"] == pytest.approx(10 / N / 30)
    assert (s0["rl_minus_sft"]["up"], s0["rl_minus_sft"]["down"], s0["rl_minus_sft"]["unchanged"]) == (12, 2, 16)
    assert s0["avg"]["rl"] - s0["avg"]["sft"] == pytest.approx(s0["rl_minus_sft"]["diff"])
    assert s1["rl_minus_sft"]["diff"] == 0 and s1["rl_minus_sft"]["ci_low"] == s1["rl_minus_sft"]["ci_high"] == 0
    pooled = res["pooled"]["rl_minus_sft"]
    assert pooled["num_problems"] == 50 and pooled["num_runs"] == 2
    assert pooled["diff"] == pytest.approx(10 / N / 50)  # the mean over all pooled problems
    assert (pooled["up"], pooled["down"], pooled["unchanged"]) == (12, 2, 36)
    assert 0 < pooled["ci_low"] < pooled["diff"] < pooled["ci_high"]
    # Stratified: seed 1's problems never move, so the pooled interval is narrower than seed 0's scaled by 30/50.
    assert pooled["ci_high"] - pooled["ci_low"] <= (s0["rl_minus_sft"]["ci_high"] - s0["rl_minus_sft"]["ci_low"])
    sft_base = res["pooled"]["sft_minus_base"]
    assert sft_base["mean_a"] == 0 and sft_base["diff"] == pytest.approx((60 + 19) / N / 50)
    assert s0["reward"]["steps"] == list(range(1, 13)) and s0["reward"]["values"] == RISING
    assert s0["reward_trend"]["rising"] is True and s1["reward_trend"]["rising"] is False
    v = res["verdict"]
    assert v["rl_minus_sft_met"] and not v["reward_rising_met"] and not v["met"]
    assert v["line"].startswith("NOT MET: RL − SFT +5.0 points") and "rising on 1/2 seed(s)" in v["line"]


def test_verdict_needs_the_gain_and_a_rising_reward_on_every_seed(tmp_path):
    make_runs(tmp_path, RISING)
    res = pool(tmp_path, [0, 1], resamples=2000)
    assert res["verdict"]["met"] and res["verdict"]["line"].startswith("MET: ")
    assert not pool(tmp_path, [0, 1], resamples=2000, target_points=6.0)["verdict"]["met"]  # +5 < +6
    missing = pool(tmp_path, [0, 1, 2], resamples=2000)  # seed 2 never ran: no reward, so not rising on all
    assert missing["per_seed"]["2"]["problems"] == 0 and not missing["verdict"]["met"]
    assert missing["pooled"]["rl_minus_sft"]["num_runs"] == 2


def test_write_results_table_json_and_png(tmp_path):
    make_runs(tmp_path, FLAT)
    res = write_results(tmp_path, [0, 1], resamples=500)
    saved = json.loads((tmp_path / "learning.json").read_text())
    assert saved["pooled"]["rl_minus_sft"]["diff"] == res["pooled"]["rl_minus_sft"]["diff"]
    md = (tmp_path / "learning.md").read_text()
    assert "| RL − SFT (95% CI) |" in md and "| pooled | 50 |" in md and "| 0 | 30 |" in md
    assert "+8.3 (" in md and "12/2/16" in md and "rising on 1/2" in md
    assert f"**Verdict:** {res['verdict']['line']}" in md
    assert (tmp_path / "learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_learning_benchmark_end_to_end(tmp_path):
    """One seed at a tiny size: a real pipeline run through the benchmark's command, then a rerun that
    resumes every stage."""
    from test_pipeline import small_config

    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(small_config(tmp_path / "unused")))
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"procedural": {"holdout_tasks": 8}, "grpo": {"args": {"max_steps": 6}}}))
    out = tmp_path / "learning"
    cmd = [sys.executable, "benchmarks/learning.py", "--seeds", "0", "--config", str(base)]
    cmd += ["--overrides", str(overrides), "--output-dir", str(out)]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-4000:]
    assert "Learning benchmark" in first.stderr and "verdict:" in first.stderr

    res = json.loads((out / "learning.json").read_text())
    seed = res["per_seed"]["0"]
    assert seed["problems"] == 8 and set(seed["avg"]) == {"base", "sft", "rl"}
    assert seed["reward"]["steps"] == [1, 2, 3, 4, 5, 6] and seed["reward_trend"]["rising"] is not None
    assert res["pooled"]["rl_minus_sft"]["num_problems"] == 8
    assert res["merged_config"]["procedural"]["holdout_tasks"] == 8
    run_config = yaml.safe_load((out / "seed_0" / "pipeline.yaml").read_text())
    assert run_config["output_dir"] == str(out / "seed_0") and run_config["seed"] == 0
    summary = json.loads((out / "seed_0" / "summary.json").read_text())
    assert summary["rl_minus_sft"] == pytest.approx(res["pooled"]["rl_minus_sft"]["diff"], abs=1e-4)
    assert "| pooled | 8 |" in (out / "learning.md").read_text()
    assert (out / "learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-4000:]
    for stage in ("data", "model", "verify", "sft", "grpo", "eval"):
        assert f"{stage}: done" in again.stderr, stage
