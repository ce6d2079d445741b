"""The learning benchmark (``benchmarks/learning.py``, :mod:`pipeline.learning`): pooling of paired
comparisons over seeds, reward trends and the verdict on synthetic eval outputs written in the real
layout (``samples.jsonl``, ``rl/log_history.json``, ``train_probe/*.pass_rates.jsonl``); the training-task
probe for real on the tiny model through ``--probe-only``; then one tiny real run end to end (slow)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.learning import markdown, pool, reward_trend, seed_dir, write_results
from pipeline.train_probe import probe_pair, probe_plan, run_train_probe

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
    # Between seeds, each seed's mean is one observation: two seeds (+0.083 and 0) leave the interval wide.
    between = res["between_seeds"]["rl_minus_sft"]
    assert between["per_run"] == pytest.approx([10 / N / 30, 0.0]) and between["num_runs"] == 2
    assert between["ci_low"] < 0 < pooled["ci_low"] and between["ci_high"] > pooled["ci_high"]
    assert "between seeds" in res["verdict"]["line"] and "(reported, not a target)" in res["verdict"]["line"]
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


def write_groups(run: Path, visits: dict[str, list[float]], per_step: int = 2) -> None:
    """``run/rl/groups.jsonl`` as GRPO's group_log writes it: task t's k-th group reward is visits[t][k];
    the tasks' first visits come first (``per_step`` groups a step), then their second ones, and so on."""
    order = [(t, k) for k in range(max(map(len, visits.values()))) for t in visits if k < len(visits[t])]
    lines = [
        {"step": 1 + i // per_step, "task": t, "pass_rate": visits[t][k], "mean_reward": visits[t][k], "mixed": True}
        for i, (t, k) in enumerate(order)
    ]
    (run / "rl").mkdir(parents=True, exist_ok=True)
    (run / "rl" / "groups.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_revisited_tasks_decide_whether_the_reward_rose(tmp_path):
    make_runs(tmp_path, FLAT)  # seed 1's per-step reward is flat: not rising by the thirds
    # Seed 1 revisits 12 tasks: 10 better at the last visit, 2 the same; one task seen once is left out.
    visits = {f"t{i}": [0.25, 0.75 if i < 10 else 0.25] for i in range(12)} | {"once": [1.0]}
    write_groups(seed_dir(tmp_path, 1), visits)
    res = pool(tmp_path, [0, 1], resamples=2000)
    r = res["per_seed"]["1"]["revisit"]
    assert (r["tasks"], r["revisited"], r["num_problems"]) == (13, 12, 12)
    assert r["mean_a"] == 0.25 and r["diff"] == pytest.approx(0.5 * 10 / 12) and r["ci_low"] > 0
    assert res["per_seed"]["1"]["reward_trend"]["rising"] is False
    assert res["per_seed"]["0"]["revisit"] is None  # no group log: the thirds decide seed 0 (rising)
    v = res["verdict"]
    assert v["reward_rising_met"] and v["met"]
    assert (
        "rising on 2/2 seed(s)" in v["line"] and "revisited (last visit − first, interval above 0) on 1" in v["line"]
    )
    assert "per-step thirds on 1]" in v["line"]
    md = markdown(res)
    assert "0.250 → 0.667" in md and "12 tasks) yes" in md
    # A run whose revisits got worse is not rising, whatever its per-step thirds say.
    write_groups(seed_dir(tmp_path, 0), {f"t{i}": [0.75, 0.25] for i in range(12)})
    res = pool(tmp_path, [0, 1], resamples=2000)
    assert res["per_seed"]["0"]["reward_trend"]["rising"] is True and not res["verdict"]["reward_rising_met"]


def test_pass_rate_above_sft_takes_the_drawn_tasks_difficulty_out_of_the_curve(tmp_path):
    make_runs(tmp_path, FLAT)
    make_probes(tmp_path)  # SFT pass rates of seed 0's rows r0-i: (i % 3) / 4
    run0 = seed_dir(tmp_path, 0)
    # 12 steps of 2 groups, one pass over 24 of the 40 rows, easy rows drawn first: the raw curve falls.
    # Steps 1-4 pass as often as SFT does on the same rows; steps 9-12 by 0.25 more than SFT.
    rows = sorted((f"r0-{i}" for i in range(24)), key=lambda q: -(int(q[3:]) % 3))
    lines = []
    for i, q in enumerate(rows):
        step = 1 + i // 2
        rate = (int(q[3:]) % 3) / 4 + (0.25 if step > 8 else 0.0)
        lines.append({"step": step, "task": q, "pass_rate": rate, "mean_reward": rate, "mixed": True})
    lines.append({"step": 12, "task": "unprobed", "pass_rate": 1.0, "mean_reward": 1.0, "mixed": False})
    lines.append({"step": 12, "task": "r0-1", "pass_rate": None, "mean_reward": None, "mixed": False})
    (run0 / "rl").mkdir(parents=True, exist_ok=True)
    (run0 / "rl" / "groups.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    res = pool(tmp_path, [0, 1], resamples=2000)
    a = res["per_seed"]["0"]["adjusted"]
    assert (a["steps"], a["groups"], a["matched"], a["n_a"], a["n_b"]) == (12, 26, 24, 8, 8)
    assert a["mean_a"] == pytest.approx(0.0) and a["diff"] == pytest.approx(0.25) and a["ci_low"] > 0
    assert len(a["curve"]["steps"]) == 12 and a["curve"]["values"][0] == pytest.approx(0.0)
    raw = [statistics.mean(x["pass_rate"] for x in lines[:24] if x["step"] == s) for s in range(1, 13)]
    assert raw[0] > raw[-1]  # the drawn rows got harder: by the raw curve the policy looks worse
    assert res["per_seed"]["1"]["adjusted"] is None  # no group log
    v = res["verdict"]  # reported, but the probe decides (seed 0's rose, seed 1's did not)
    assert "the pass rate above SFT's on the tasks each step drew rose on 1/1 seed(s)" in v["line"]
    assert "training reward rising on 1/2 seed(s)" in v["line"] and not v["reward_rising_met"]
    md = markdown(res)
    assert "+0.000 → +0.250 (+0.250" in md and "8+8 groups) yes" in md
    write_results(tmp_path, [0, 1], resamples=200)
    assert (tmp_path / "learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # A policy that got worse than SFT at its own tasks is not rising.
    for x in lines:
        if x["step"] > 8 and x["pass_rate"] is not None:
            x["pass_rate"] -= 0.5
    (run0 / "rl" / "groups.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert pool(tmp_path, [0, 1], resamples=2000)["per_seed"]["0"]["adjusted"]["ci_high"] < 0


def test_unpaired_bootstrap_interval():
    from eval.paired import unpaired_bootstrap

    r = unpaired_bootstrap([0.0, 0.1, 0.2] * 10, [0.5, 0.6, 0.7] * 10, resamples=2000)
    assert r["diff"] == pytest.approx(0.5) and 0.4 < r["ci_low"] < 0.5 < r["ci_high"] < 0.6
    assert (r["n_a"], r["n_b"]) == (30, 30)
    with pytest.raises(ValueError, match="at least one value"):
        unpaired_bootstrap([], [1.0])


def test_write_results_table_json_and_png(tmp_path):
    make_runs(tmp_path, FLAT)
    res = write_results(tmp_path, [0, 1], resamples=500)
    saved = json.loads((tmp_path / "learning.json").read_text())
    assert saved["pooled"]["rl_minus_sft"]["diff"] == res["pooled"]["rl_minus_sft"]["diff"]
    md = (tmp_path / "learning.md").read_text()
    assert "| RL − SFT (95% CI) |" in md and "| pooled | 50 |" in md and "| 0 | 30 |" in md
    assert "+8.3 (" in md and "12/2/16" in md and "rising on 1/2" in md
    assert f"**Verdict:** {res['verdict']['line']}" in md
    assert "- Between seeds, each seed's mean one observation: RL − SFT +4.2 points (95% t interval" in md
    assert (tmp_path / "learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "per held-out family" not in md and not (tmp_path / "learning_families.png").exists()  # no families
    # With the procedural families in seed 0's held-out rows: its RL − SFT split by family.
    rows = [{"question_id": f"s0-{i}", "metadata": json.dumps({"family": "ab"[i < 15]})} for i in range(30)]
    (seed_dir(tmp_path, 0) / "data").mkdir()
    (seed_dir(tmp_path, 0) / "data" / "holdout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = write_results(tmp_path, [0, 1], resamples=500)
    families = res["per_seed"]["0"]["families"]
    assert families["b"]["problems"] == 15 and families["b"]["diff"] == pytest.approx(10 / N / 15)  # all moves in b
    assert families["a"]["diff"] == 0 and "families" not in res["per_seed"]["1"]
    assert res["per_seed"]["0"]["moved"]["up"] == [] and res["per_seed"]["0"]["moved"]["rest_part"] == pytest.approx(
        res["per_seed"]["0"]["rl_minus_sft"]["diff"]
    )
    md = (tmp_path / "learning.md").read_text()
    assert "- Seed 0: families that moved ≥ 25 points as a whole: none; they make +0.0 of its +8.3 points" in md
    assert "| b | 50 → 67 (+17) |" in md and (tmp_path / "learning_families.png").is_file()
    assert res["pooled_by_family"] == {} and "families resampled" not in md  # seed 1's rows name no family
    # Every seed's rows name their family: the pooled interval with whole families resampled is reported too,
    # and it is wider, since all of seed 0's moves sit in one of its two families.
    rows = [{"question_id": f"s1-{i}", "metadata": json.dumps({"family": "cd"[i % 2]})} for i in range(20)]
    (seed_dir(tmp_path, 1) / "data").mkdir()
    (seed_dir(tmp_path, 1) / "data" / "holdout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = write_results(tmp_path, [0, 1], resamples=500)
    by_family, by_problem = res["pooled_by_family"]["rl_minus_sft"], res["pooled"]["rl_minus_sft"]
    assert by_family["clusters"] == 4 and by_family["diff"] == pytest.approx(by_problem["diff"])
    assert by_family["ci_low"] <= 0 < by_problem["ci_low"] and by_family["ci_high"] > by_problem["ci_high"]
    md = (tmp_path / "learning.md").read_text()
    assert "- Families resampled within each seed (one family's problems move together): RL − SFT +5.0 points" in md


def write_probe(run: Path, sft: dict[str, int], rl: dict[str, int], k: int = 4, finished: bool = True) -> None:
    """``run/train_probe/`` as :func:`pipeline.train_probe.run_train_probe` leaves it (the files pool reads):
    eval.pass_rate's per-row rates of each model, ``passed`` of ``k`` samples, and probe.json."""
    out = run / "train_probe"
    out.mkdir(parents=True, exist_ok=True)
    for name, passed in (("sft", sft), ("rl", rl)):
        rows = [
            {"question_id": q, "passed": c, "k": k, "pass_rate": c / k, "decision": "kept"} for q, c in passed.items()
        ]
        rows.append({"question_id": "no-tests", "decision": "no_tests"})  # unscored: left out of the pairs
        (out / f"{name}.pass_rates.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = {"rows_file": "synth/export/rl.jsonl", "rows_requested": 96, "k": k, "temperature": 1.0}
    settings |= {"top_p": 1.0, "max_tokens": 160, "subset_seed": 0, "grpo_run": ["f", "t"]}
    (out / "probe.json").write_text(json.dumps({"settings": settings, "finished": finished}))


def make_probes(out: Path) -> None:
    # Seed 0: 40 rows, RL passes one more sample than SFT on 20 of them: +20 / 4 / 40 = +12.5 points, clearly up.
    sft0 = {f"r0-{i}": i % 3 for i in range(40)}
    write_probe(seed_dir(out, 0), sft0, {q: c + (i < 20) for i, (q, c) in enumerate(sft0.items())})
    # Seed 1: 24 rows, 3 up and 3 down: no change.
    sft1 = {f"r1-{i}": 1 + i % 2 for i in range(24)}
    rl1 = {q: c + (1 if i < 3 else -1 if i < 6 else 0) for i, (q, c) in enumerate(sft1.items())}
    write_probe(seed_dir(out, 1), sft1, rl1)


def test_training_task_probe_pairs_rows_per_seed_and_pools_them(tmp_path):
    make_runs(tmp_path, FLAT)
    make_probes(tmp_path)
    res = pool(tmp_path, [0, 1], resamples=2000)
    p0, p1 = res["per_seed"]["0"]["train_probe"], res["per_seed"]["1"]["train_probe"]
    assert p0["num_problems"] == 40 and p0["diff"] == pytest.approx(20 / 4 / 40) and p0["ci_low"] > 0
    assert (p0["up"], p0["down"], p0["unchanged"]) == (20, 0, 20) and p0["k"] == 4 and p0["temperature"] == 1.0
    assert p1["num_problems"] == 24 and p1["diff"] == 0 and p1["ci_low"] < 0 < p1["ci_high"]
    pooled = res["train_probe_pooled"]
    assert pooled["num_problems"] == 64 and pooled["num_runs"] == 2 and pooled["diff"] == pytest.approx(20 / 4 / 64)
    assert (pooled["up"], pooled["down"]) == (23, 3) and pooled["mean_a"] == pytest.approx(
        p0["mean_a"] * 40 / 64 + 1.5 / 4 * 24 / 64
    )
    v = res["verdict"]
    assert (v["train_probe_rose"], v["train_probe_seeds"]) == (1, 2)
    # The probe decides whether the training reward rose (seed 1's rate on its training tasks did not move).
    assert (
        "training reward rising on 1/2 seed(s) [target: all: not met; measured on the same training tasks at "
        "GRPO's start and end (the probe, interval above 0) on 2]" in v["line"]
    )
    assert v["met"] is False and v["rl_minus_sft_met"] and not v["reward_rising_met"]

    md = markdown(res)
    assert "| training tasks SFT → RL % (RL − SFT, 95% CI) |" in md
    row0 = next(line for line in md.splitlines() if line.startswith("| 0 | 30 |"))
    assert f"| {100 * p0['mean_a']:.1f} → {100 * p0['mean_b']:.1f} (+12.5 (" in row0
    assert (
        f"- Training tasks, seed 0: SFT {100 * p0['mean_a']:.1f}% → RL {100 * p0['mean_b']:.1f}% (+12.5 points" in md
    )
    assert "rows up/down/same 20/0/20; 40 rows × 4 samples at temperature 1, 160 tokens)" in md
    assert "- Training tasks, pooled: " in md and "64 rows, 2 seeds)" in md
    header, align = md.splitlines()[4:6]
    assert header.count("|") == align.count("|")


def test_training_task_probe_missing_or_unfinished_is_left_out(tmp_path):
    make_runs(tmp_path, RISING)
    res = write_results(tmp_path, [0, 1], resamples=500)  # no probe anywhere: reported as not measured
    assert res["train_probe_pooled"] is None and res["per_seed"]["0"]["train_probe"] is None
    assert "measured by the raw per-step thirds on 2]" in res["verdict"]["line"] and res["verdict"]["met"]
    assert "Training tasks, seed" not in (tmp_path / "learning.md").read_text()
    assert not (seed_dir(tmp_path, 0) / "train_probe").exists()  # pooling reads, never samples
    make_probes(tmp_path)
    write_probe(seed_dir(tmp_path, 1), {"a": 1}, {"a": 2}, finished=False)  # interrupted: not counted
    res = write_results(tmp_path, [0, 1], resamples=500)
    assert res["per_seed"]["1"]["train_probe"] is None and res["train_probe_pooled"]["num_problems"] == 40
    assert "(the probe, interval above 0) on 1, by the raw per-step thirds on 1]" in res["verdict"]["line"]
    assert (tmp_path / "learning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "learning.json").read_text())["per_seed"]["0"]["train_probe"]["up"] == 20


def fake_grpo_run(run: Path, original: Path, dataset: str, models: bool = True) -> None:
    """The files of a finished GRPO stage of a run first made in ``original`` and then copied to ``run``:
    the trainer's config names paths under ``original``."""
    (run / "configs").mkdir(parents=True, exist_ok=True)
    grpo = {"model_name_or_path": str(original / "sft"), "output_dir": str(original / "rl")}
    grpo |= {"dataset_name": str(original / dataset), "max_completion_length": 8, "num_generations": 8}
    (run / "configs" / "grpo.yaml").write_text(yaml.safe_dump(grpo))
    stages = {
        "verify": {"finished": True, "info": {"rl_file": "synth/export/rl.jsonl"}},
        "grpo": {"fingerprint": "f1", "finished": True, "finished_at": "t1"},
    }
    (run / "pipeline_state.json").write_text(json.dumps({"stages": stages}))
    if models:
        for name in ("sft", "rl"):
            (run / name).mkdir(exist_ok=True)
            (run / name / "config.json").write_text("{}")


def test_probe_plan_reads_the_trainers_config_of_a_copied_run(tmp_path):
    run, original = tmp_path / "copy", tmp_path / "gone"
    fake_grpo_run(run, original, "synth/export/rl.jsonl")
    assert probe_plan(run) is None  # the rows file is missing
    (run / "synth" / "export").mkdir(parents=True)
    (run / "synth" / "export" / "rl.jsonl").write_text("{}\n")
    plan = probe_plan(run)
    assert plan["rows_file"] == run / "synth" / "export" / "rl.jsonl" and plan["models"] == {
        "sft": run / "sft",
        "rl": run / "rl",
    }
    assert (plan["temperature"], plan["max_tokens"], plan["grpo_run"]) == (
        1.0,
        8,
        ["f1", "t1"],
    )  # TRL's 1.0 when unset
    # With grpo.label_noise GRPO read corrupted tests: the probe judges on the clean rows.
    fake_grpo_run(run, original, "synth/export/rl_noisy.jsonl")
    assert probe_plan(run)["rows_file"] == run / "synth" / "export" / "rl.jsonl"
    # With select on, the select stage kept noisy rows and wrote their clean tests beside them.
    fake_grpo_run(run, original, "select/rl_selected.jsonl")
    state = json.loads((run / "pipeline_state.json").read_text())
    state["stages"]["select"] = {"finished": True, "info": {"rl_file": "select/rl_selected.jsonl"}}
    (run / "pipeline_state.json").write_text(json.dumps(state))
    (run / "select").mkdir()
    for name in ("rl_selected.jsonl", "rl_selected.clean.jsonl"):
        (run / "select" / name).write_text("{}\n")
    assert probe_plan(run)["rows_file"] == run / "select" / "rl_selected.jsonl"  # no noise: the rows GRPO read
    state["stages"]["select"]["info"]["clean_rl_file"] = "select/rl_selected.clean.jsonl"
    (run / "pipeline_state.json").write_text(json.dumps(state))
    assert probe_plan(run)["rows_file"] == run / "select" / "rl_selected.clean.jsonl"
    fake_grpo_run(run, original, "synth/export/rl.jsonl")
    (run / "rl" / "config.json").unlink()  # no RL model: nothing to probe
    assert probe_plan(run) is None


def test_probe_only_samples_both_models_on_the_tiny_model_and_reuses_the_result(tmp_path):
    """For real: the tiny model as GRPO's start and end, three RL rows (two sampled), the judge; through
    ``benchmarks/learning.py --probe-only`` on a copied run, then cached, then redone for a retrained RL model."""
    import shutil

    from rich.console import Console
    from test_rl_select import rl_row, write_jsonl

    from pipeline.config import PipelineConfig
    from xcoder.judge import JudgeConfig
    from xcoder.tiny_model import build_tiny_model

    out = tmp_path / "learning"
    run, original = seed_dir(out, 0), tmp_path / "original" / "seed_0"
    fake_grpo_run(run, original, "synth/export/rl.jsonl", models=False)
    build_tiny_model(run / "sft")
    shutil.copytree(run / "sft", run / "rl")
    (run / "synth" / "export").mkdir(parents=True)
    write_jsonl(run / "synth" / "export" / "rl.jsonl", [rl_row("a"), rl_row("b"), rl_row("c")])
    (run / "pipeline.yaml").write_text(yaml.safe_dump({"output_dir": str(original), "judge": {"workers": 2}}))
    cmd = [sys.executable, "benchmarks/learning.py", "--seeds", "0", "--output-dir", str(out), "--probe-only"]
    cmd += ["--train-probe", "2", "--train-probe-k", "2"]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-4000:]
    probe = run / "train_probe"
    rows = [json.loads(line)["question_id"] for line in (probe / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and set(rows) < {"a", "b", "c"}
    for name in ("sft", "rl"):
        rates = [json.loads(line) for line in (probe / f"{name}.pass_rates.jsonl").read_text().splitlines()]
        assert [r["question_id"] for r in rates] == rows and all(r["k"] == 2 for r in rates)
        assert len((probe / f"{name}.generations.jsonl").read_text().splitlines()) == 4  # 2 rows x 2 samples
    meta = json.loads((probe / "probe.json").read_text())
    assert meta["finished"] and meta["settings"]["temperature"] == 1.0 and meta["settings"]["max_tokens"] == 8
    res = json.loads((out / "learning.json").read_text())
    assert res["per_seed"]["0"]["train_probe"]["num_problems"] == 2 and res["train_probe_pooled"]["num_runs"] == 1
    # An untrained model in 8 tokens solves nothing, before or after.
    assert "training tasks, seed 0: SFT 0.0% → RL 0.0% (+0.0 points" in first.stderr
    assert (
        "training reward rising on 0/1 seed(s)" in first.stderr
        and "(the probe, interval above 0) on 1]" in first.stderr
    )

    # GRPO ran again (new finish time): the probe starts over, in process this time.
    state = json.loads((run / "pipeline_state.json").read_text())
    state["stages"]["grpo"]["finished_at"] = "t2"
    (run / "pipeline_state.json").write_text(json.dumps(state))
    (probe / "sft.report.md").write_text("stale")
    cfg = PipelineConfig(output_dir=str(original), judge=JudgeConfig(workers=2))
    settings = run_train_probe(run, cfg, rows=2, k=2, console=Console(stderr=True))
    assert settings["grpo_run"] == ["f1", "t2"] and (probe / "sft.report.md").read_text() != "stale"
    assert probe_pair(run)[0].differences()[0] == sorted(rows)

    # Same settings: reused; the models are never loaded (placeholders that cannot load stand in for them).
    saved = (probe / "probe.json").read_text()
    for name in ("sft", "rl"):
        shutil.rmtree(run / name)
        (run / name).mkdir()
        (run / name / "config.json").write_text("{}")
    assert run_train_probe(run, cfg, rows=2, k=2, console=Console(stderr=True)) == settings
    assert (probe / "probe.json").read_text() == saved


def test_probe_options_are_checked():
    base = [sys.executable, "benchmarks/learning.py", "--seeds", "0", "--output-dir", "/nonexistent/learning"]
    for extra, message in (
        (["--probe-only", "--train-probe", "0"], "--probe-only needs --train-probe N > 0"),
        (["--train-probe-k", "0"], "--train-probe-k must be >= 1"),
        (["--train-probe", "-3"], "expected a row count >= 0 or 'all'"),
        (["--probe-only", "--report-only"], "not allowed with argument"),
    ):
        proc = subprocess.run(base + extra, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


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
    cmd += ["--overrides", str(overrides), "--output-dir", str(out), "--train-probe", "6", "--train-probe-k", "2"]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-4000:]
    assert "Learning benchmark" in first.stderr and "verdict:" in first.stderr

    res = json.loads((out / "learning.json").read_text())
    seed = res["per_seed"]["0"]
    assert seed["problems"] == 8 and set(seed["avg"]) == {"base", "sft", "rl"}
    assert seed["reward"]["steps"] == [1, 2, 3, 4, 5, 6] and seed["reward_trend"]["rising"] is not None
    assert res["pooled"]["rl_minus_sft"]["num_problems"] == 8
    probe = seed["train_probe"]  # after the run: GRPO's start and end on 6 of its rows, 2 samples each
    assert probe["num_problems"] == 6 and probe["k"] == 2 and res["train_probe_pooled"]["num_problems"] == 6
    assert "training tasks, seed 0: SFT" in first.stderr
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
    assert "train probe: reusing" in again.stderr
