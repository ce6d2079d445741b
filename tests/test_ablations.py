"""Ablation building blocks: config merging/validation, label corruption, extra verified solutions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from pipeline.ablations import collect, deep_merge, load_ablation_config, write_results
from pipeline.config import load_pipeline_config
from pipeline.stages import stage_data, stage_verify
from pipeline.variants import corrupt_labels, more_solutions
from xcoder.config import ConfigError
from xcoder.judge import Judge, JudgeConfig
from xcoder.problem import parse_input_output

ROOT = Path(__file__).resolve().parents[1]


def test_deep_merge_and_bundled_config():
    base = {"a": {"x": 1, "y": {"z": 2}}, "b": [1]}
    assert deep_merge(base, {"a": {"y": {"w": 3}}, "b": [2]}) == {"a": {"x": 1, "y": {"z": 2, "w": 3}}, "b": [2]}
    assert base == {"a": {"x": 1, "y": {"z": 2}}, "b": [1]}  # not mutated
    for name, expected in (
        ("ablations.yaml", {"unique_vs_solutions", "noisy_labels"}),
        ("noise.yaml", {"label_noise"}),
        ("noise_select.yaml", {"label_noise"}),
        ("passes.yaml", {"passes"}),
        ("sampling.yaml", {"group_sampling", "schedule"}),
    ):
        cfg = load_ablation_config(ROOT / "recipes" / "tiny" / name)
        assert set(cfg.experiments) == expected
        base = yaml.safe_load(cfg.base_path().read_text())
        for exp in cfg.experiments.values():  # every variant is a valid pipeline config
            for overrides in exp.variants.values():
                merged = deep_merge(deep_merge(base, exp.shared), overrides)
                path = ROOT / "runs" / ".ablation-config-check.yaml"
                path.parent.mkdir(exist_ok=True)
                path.write_text(yaml.safe_dump(merged))
                try:
                    load_pipeline_config(path)
                finally:
                    path.unlink()


def test_bad_ablation_config(tmp_path):
    bad = tmp_path / "a.yaml"
    bad.write_text(yaml.safe_dump({"experiments": {"e": {"metric": "rl", "variants": {"only": {}}}}}))
    with pytest.raises(ConfigError, match="two variants"):
        load_ablation_config(bad)
    bad.write_text(yaml.safe_dump({"experiments": {"e": {"metric": "big", "variants": {"a": {}, "b": {}}}}}))
    with pytest.raises(ConfigError, match="metric"):
        load_ablation_config(bad)


def test_corrupt_labels_is_deterministic_and_changes_the_share_asked(tmp_path):
    rows = []
    for i in range(200):
        io = {"inputs": [f"{j}\n" for j in range(10)], "outputs": [str(j * 7) for j in range(10)]}
        rows.append({"id": f"t{i}", "input_output": json.dumps(io), "prompt": []})
    fn = {"inputs": ["[1, 2]"] * 10, "outputs": ["true", "3", "[1, 2]", "false", "0"] * 2, "fn_name": "f"}
    rows.append({"id": "fn", "input_output": json.dumps(fn), "prompt": []})
    path = tmp_path / "rl.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out1, n1 = corrupt_labels(path, 0.05, seed=3)
    out2, n2 = corrupt_labels(path, 0.05, seed=3)
    assert out1 == out2 and n1 == n2
    assert 60 <= n1 <= 150  # 5% of 2010 outputs, loosely
    changed = 0
    for before, after in zip(rows, out1):
        a, b = json.loads(before["input_output"]), json.loads(after["input_output"])
        assert a["inputs"] == b["inputs"]
        changed += sum(x != y for x, y in zip(a["outputs"], b["outputs"]))
        parse_input_output(after["input_output"])  # still a valid row
    assert changed == n1
    _, none = corrupt_labels(path, 0.0, seed=3)
    assert none == 0
    with pytest.raises(ValueError):
        corrupt_labels(path, 1.5, seed=0)


def test_more_solutions_adds_only_judge_accepted_distinct_programs(tmp_path):
    config = tmp_path / "p.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "output_dir": str(tmp_path / "out"),
                "procedural": {
                    "families": ["max_minus_min", "gcd_all", "distinct_chars"],
                    "train_tasks": 9,
                    "holdout_tasks": 3,
                },
                "judge": {"workers": 2},
            }
        )
    )
    cfg = load_pipeline_config(config)
    console = Console(stderr=True, quiet=True)
    stage_data(cfg, console)
    stage_verify(cfg, console)
    synth = cfg.out / "synth"
    golden = [json.loads(x) for x in (synth / "export" / "sft.jsonl").read_text().splitlines()]
    with Judge(JudgeConfig(workers=2)) as judge:
        rows = more_solutions(synth, 2, judge)
    assert rows[:1] and {r["id"] for r in golden} <= {r["id"] for r in rows}
    extra = [r for r in rows if "#" in r["id"]]
    assert extra, "max_minus_min and gcd_all have correct alternatives"
    by_task: dict[str, set[str]] = {}
    for r in rows:
        by_task.setdefault(r["id"].split("#")[0], set()).add(r["messages"][-1]["content"])
        assert r["messages"][:-1] == next(g for g in golden if g["id"] == r["id"].split("#")[0])["messages"][:-1]
    assert all(len(v) <= 2 for v in by_task.values())
    assert len(rows) == sum(len(v) for v in by_task.values())  # distinct programs only


def test_collect_reads_finished_runs(tmp_path):
    cfg = load_ablation_config(ROOT / "recipes" / "tiny" / "ablations.yaml")
    cfg.output_dir = str(tmp_path)
    results = collect(cfg)
    assert all(v["mean"] is None for r in results.values() for v in r["variants"].values())


def _fake_run(out: Path, stages: dict[str, tuple[str, str]], evals: dict[str, list[int]], seed: int) -> None:
    """A finished run's files as the pipeline writes them: pipeline_state.json, summary.json and each
    evaluated model's samples.jsonl (``evals``: correct samples of 4 per problem)."""
    out.mkdir(parents=True)
    state = {s: {"fingerprint": fp, "finished": True, "finished_at": at} for s, (fp, at) in stages.items()}
    (out / "pipeline_state.json").write_text(json.dumps({"stages": state}))
    summary = {"eval_protocol": {"n": 4}, "sizes": {}}
    for model, correct in evals.items():
        (out / "eval" / model).mkdir(parents=True)
        rows = [{"question_id": f"q{i}", "graded_list": [j < c for j in range(4)]} for i, c in enumerate(correct)]
        (out / "eval" / model / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        summary[model] = {"avg@4": sum(correct) / (4 * len(correct))}
    (out / "summary.json").write_text(json.dumps(summary))
    (out / "data").mkdir()  # the held-out split: q0, q1 of family f0, the rest of f1
    held = [{"question_id": f"q{i}", "metadata": json.dumps({"family": f"f{min(i // 2, 1)}"})} for i in range(4)]
    (out / "data" / "holdout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in held))


def test_paired_variants_borrow_the_baseline_only_from_the_same_stage_run(tmp_path):
    cfg = load_ablation_config(ROOT / "recipes" / "tiny" / "noise.yaml")
    cfg.output_dir = str(tmp_path)
    cfg.seeds = [0, 1]
    exp = cfg.experiments["label_noise"]
    assert exp.metric == "rl" and exp.paired == "sft"
    first, second, third = list(exp.variants)[:3]
    sft_run = {"model": ("m", "t0"), "sft": ("s", "t1")}
    for seed in cfg.seeds:
        root = tmp_path / "label_noise" / f"seed{seed}"
        _fake_run(root / first, {**sft_run, "grpo": ("g0", "t2")}, {"sft": [1, 2, 0, 4], "rl": [2, 2, 1, 4]}, seed)
        _fake_run(root / second, {**sft_run, "grpo": ("g1", "t3")}, {"rl": [0, 2, 0, 4]}, seed)
        # a third variant whose SFT was retrained: its RL must not be compared with the first's SFT
        _fake_run(root / third, {**sft_run, "sft": ("s", "t3"), "grpo": ("g2", "t4")}, {"rl": [4, 4, 4, 4]}, seed)
    res = collect(cfg)["label_noise"]["variants"]
    own, borrowed, refused = res[first]["paired"], res[second]["paired"], res[third]["paired"]
    assert own["baseline"] == {0: "own eval", 1: "own eval"}
    assert own["pooled"]["diff"] == pytest.approx((1 + 0 + 1 + 0) / 16)  # per problem: +1/4, 0, +1/4, 0
    assert own["pooled"]["num_runs"] == 2 and own["pooled"]["num_problems"] == 8
    assert set(borrowed["baseline"].values()) == {f"sft eval of {first} (same sft run)"}
    assert borrowed["pooled"]["diff"] == pytest.approx(-1 / 16) and borrowed["pooled"]["down"] == 2
    assert refused["pooled"] is None and refused["per_seed"] == {}
    assert "not the first variant's run" in refused["baseline"][0]
    # The same difference with whole families resampled (2 per seed) and with each seed one observation.
    assert own["by_family"]["clusters"] == 4 and own["by_family"]["diff"] == pytest.approx(own["pooled"]["diff"])
    assert own["between_seeds"]["num_runs"] == 2 and own["between_seeds"]["sd"] == 0.0  # both seeds alike
    # Each variant against the first, paired, whatever made its SFT model: RL against RL.
    assert res[first]["vs_first"] is None
    assert res[second]["vs_first"]["pooled"]["diff"] == pytest.approx(-3 / 16)  # -2/4, 0, -1/4, 0
    assert res[third]["vs_first"]["pooled"]["diff"] == pytest.approx(7 / 16)  # +2/4, +2/4, +3/4, 0
    assert res[third]["vs_first"]["pooled"]["up"] == 6 and res[third]["vs_first"]["by_family"]["clusters"] == 4
    write_results(cfg)
    md = (tmp_path / "ablations.md").read_text()
    assert "rl − sft, paired" in md and "| clean_binary | 0: +12.5" in md and "| -6.2 (" in md
    assert f"rl of each variant − rl of {first}" in md and f"| {third} | 0: +43.8" in md
    # With grpo.label_noise and select on, the table says how many GRPO rows and noisy rows select kept.
    for seed in cfg.seeds:
        run = tmp_path / "label_noise" / f"seed{seed}" / second
        summary = json.loads((run / "summary.json").read_text())
        summary["sizes"]["rl_rows_selected"] = 5 + seed
        (run / "summary.json").write_text(json.dumps(summary))
        state = json.loads((run / "pipeline_state.json").read_text())
        select = {"finished": True, "finished_at": "t2", "info": {"noisy_rows": 3, "noisy_rows_kept": seed}}
        state["stages"]["select"] = select
        (run / "pipeline_state.json").write_text(json.dumps(state))
    write_results(cfg)
    md = (tmp_path / "ablations.md").read_text()
    assert f"| {second} | 37.5 | 0: 37.5, 1: 37.5 | – | 5.5 | – | – | 0.5 of 3 |" in md
    assert "GRPO training reward" not in md  # no run logged a reward
    # The second variant's seed 1 logged 6 steps and its groups: 2 tasks visited twice, both better the 2nd time.
    rl = tmp_path / "label_noise" / "seed1" / second / "rl"
    rl.mkdir()
    (rl / "log_history.json").write_text(
        json.dumps([{"step": i + 1, "reward": r} for i, r in enumerate([0.1] * 3 + [0.5] * 3)])
    )
    groups = [("a", 1, 0.0), ("b", 1, 0.5), ("a", 4, 1.0), ("b", 5, 0.75), ("c", 6, 1.0)]
    (rl / "groups.jsonl").write_text(
        "".join(
            json.dumps({"step": st, "task": t, "pass_rate": r, "mean_reward": r, "mixed": True}) + "\n"
            for t, st, r in groups
        )
    )
    # The third variant's seed 1 still holds a copied GRPO log while its own GRPO runs: not reported.
    third_run = tmp_path / "label_noise" / "seed1" / third
    shutil.copytree(rl, third_run / "rl")
    state = json.loads((third_run / "pipeline_state.json").read_text())
    state["stages"]["grpo"]["finished"] = False
    (third_run / "pipeline_state.json").write_text(json.dumps(state))
    write_results(cfg)
    md = (tmp_path / "ablations.md").read_text()
    assert f"- {third}, seed 1" not in md and f"| {third} | 100.0 | 0: 100.0 |" in md  # seed 1 is not read
    # Nor once a stage holds an output older than the stages before it (copied, its own run still to come).
    state["stages"]["grpo"] |= {"finished": True, "finished_at": "t0"}
    (third_run / "pipeline_state.json").write_text(json.dumps(state))
    write_results(cfg)
    md = (tmp_path / "ablations.md").read_text()
    assert f"- {third}, seed 1" not in md and f"| {third} | 100.0 | 0: 100.0 |" in md
    assert (
        f"- {second}, seed 1: training reward first → last third 0.100 → 0.500; "
        "revisited tasks (2) first → last visit 0.250 → 0.875 (+0.625" in md
    )
    assert (tmp_path / "ablations.png").stat().st_size > 0


def test_paired_must_name_another_model(tmp_path):
    bad = tmp_path / "a.yaml"
    bad.write_text(
        yaml.safe_dump({"experiments": {"e": {"metric": "rl", "paired": "rl", "variants": {"a": {}, "b": {}}}}})
    )
    with pytest.raises(ConfigError, match="paired"):
        load_ablation_config(bad)
