"""Ablation building blocks: config merging/validation, label corruption, extra verified solutions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from pipeline.ablations import collect, deep_merge, load_ablation_config
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
    cfg = load_ablation_config(ROOT / "recipes" / "tiny" / "ablations.yaml")
    assert set(cfg.experiments) == {"unique_vs_solutions", "noisy_labels"}
    base = yaml.safe_load((ROOT / cfg.base).read_text())
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
