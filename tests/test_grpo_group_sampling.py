"""Dynamic sampling and the online curriculum (``xcoder.train.grpo_trainer``) through TRL's real
``GRPOTrainer`` on the tiny model. The reward depends only on the row's ``kind`` column, so which
groups are all-pass, all-fail or mixed is known whatever the untrained policy writes."""

from __future__ import annotations

import pytest

pytest.importorskip("trl")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402

from xcoder.train.grpo import GroupSamplingOptions, GRPOConfig, GRPOScriptArguments, check_options  # noqa: E402
from xcoder.train.grpo_trainer import (  # noqa: E402
    GroupSamplingGRPOTrainer,
    OnlineCurriculumSampler,
    WeightedRepeatSampler,
    balance_weights,
    full_marks,
    group_stats,
)

G = 2  # completions per prompt


def by_kind(completions, kind, **kwargs):
    """1 for a 'pass' task, 0 for a 'fail' task, 0/1 alternating for a 'mixed' one (a group of G=2
    consecutive rows then always differs)."""
    return [1.0 if k == "pass" else 0.0 if k == "fail" else float(i % 2) for i, k in enumerate(kind)]


def rows(kinds: list[str]) -> list[dict]:
    return [
        {"question_id": f"{k}-{i}", "kind": k, "prompt": [{"role": "user", "content": f"task {i}: {k}"}]}
        for i, k in enumerate(kinds)
    ]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from xcoder.tiny_model import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "model"))


def make_trainer(model: str, tmp_path, kinds: list[str], **options) -> GroupSamplingGRPOTrainer:
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        num_generations=G,
        per_device_train_batch_size=4,
        max_completion_length=4,
        max_steps=2,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        seed=0,
        beta=0.0,
        dataloader_num_workers=0,
    )
    return GroupSamplingGRPOTrainer(
        model=model,
        reward_funcs=by_kind,
        args=args,
        train_dataset=Dataset.from_list(rows(kinds)),
        group_sampling=GroupSamplingOptions(**options),
    )


def batch(kinds: list[str]) -> list[dict]:
    return [row for row in rows(kinds) for _ in range(G)]


def test_zero_std_groups_are_dropped_and_refilled(tiny_model, tmp_path):
    trainer = make_trainer(tiny_model, tmp_path, ["mixed"] * 6, dynamic_sampling=True, dynamic_sampling_max_rounds=3)
    trainer.model.train()
    out = trainer._generate_and_score_completions(batch(["pass", "fail"]))  # both groups all-equal
    assert out["completion_ids"].shape[0] == 2 * G and out["prompt_ids"].shape[0] == 2 * G
    assert (out["advantages"] != 0).all()  # only mixed groups were kept
    assert out["num_items_in_batch"].item() == out["completion_mask"].sum().item()
    logged = {k: v[-1] for k, v in trainer._metrics["train"].items()}
    assert logged["dynamic_sampling/rounds"] == 1 and logged["dynamic_sampling/padded_groups"] == 0
    assert (logged["groups/all_pass"], logged["groups/all_fail"], logged["groups/mixed"]) == (1, 1, 2)


def test_budget_runs_out_and_pads_with_zero_std_groups(tiny_model, tmp_path):
    trainer = make_trainer(tiny_model, tmp_path, ["fail"] * 6, dynamic_sampling=True, dynamic_sampling_max_rounds=2)
    trainer.model.train()
    out = trainer._generate_and_score_completions(batch(["pass", "mixed"]))
    assert out["advantages"].shape[0] == 2 * G
    assert (out["advantages"] != 0).sum().item() == G  # the one mixed group, padded with one all-equal group
    logged = {k: v[-1] for k, v in trainer._metrics["train"].items()}
    assert logged["dynamic_sampling/rounds"] == 2 and logged["dynamic_sampling/padded_groups"] == 1
    assert (logged["groups/all_pass"], logged["groups/all_fail"], logged["groups/mixed"]) == (1, 4, 1)


def test_nothing_to_refill_means_no_extra_round(tiny_model, tmp_path):
    trainer = make_trainer(tiny_model, tmp_path, ["fail"] * 6, dynamic_sampling=True)
    trainer.model.train()
    out = trainer._generate_and_score_completions(batch(["mixed", "mixed"]))
    assert (out["advantages"] != 0).all()
    assert trainer._metrics["train"]["dynamic_sampling/rounds"][-1] == 0


def test_training_logs_group_counts(tiny_model, tmp_path):
    trainer = make_trainer(
        tiny_model, tmp_path, ["pass", "fail", "mixed", "mixed"] * 2, dynamic_sampling=True, curriculum="online"
    )
    trainer.train()
    logs = [h for h in trainer.state.log_history if "groups/mixed" in h]
    assert len(logs) == 2
    for h in logs:
        groups = h["groups/all_pass"] + h["groups/all_fail"] + h["groups/mixed"]
        assert groups == 2 * (1 + h["dynamic_sampling/rounds"])
        assert h["frac_reward_zero_std"] >= 0 and "curriculum/seen_tasks" in h
    rates = trainer._curriculum.rates
    assert all(rates[k] == 1.0 for k in rates if k.startswith("pass"))
    assert all(rates[k] == 0.0 for k in rates if k.startswith("fail"))
    assert all(rates[k] == 0.5 for k in rates if k.startswith("mixed"))


def test_group_log_writes_every_group_of_every_step(tiny_model, tmp_path):
    import json

    kinds = ["pass", "fail", "mixed", "mixed"]
    trainer = make_trainer(tiny_model, tmp_path, kinds, group_log=True)
    trainer.args.max_steps = 4  # 2 prompts per step, 4 tasks: every task twice
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "groups.jsonl").write_text('{"step": 9, "task": "an earlier run"}\n')  # replaced
    trainer.train()
    lines = [json.loads(x) for x in (tmp_path / "out" / "groups.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 1, 2, 2, 3, 3, 4, 4]
    seen: dict[str, int] = {}
    for x in lines:
        kind = x["task"].split("-")[0]
        assert x["pass_rate"] == {"pass": 1.0, "fail": 0.0, "mixed": 0.5}[kind] == x["mean_reward"]
        assert x["mixed"] is (kind == "mixed")
        seen[x["task"]] = seen.get(x["task"], 0) + 1
    assert seen == {f"{k}-{i}": 2 for i, k in enumerate(kinds)}
    for h in (h for h in trainer.state.log_history if "reward" in h):  # the logged reward is the groups' mean
        assert h["reward"] == pytest.approx(sum(x["mean_reward"] for x in lines if x["step"] == h["step"]) / 2)
        assert h["groups/mixed"] == sum(x["mixed"] for x in lines if x["step"] == h["step"])


def test_online_sampler_weights_move_toward_the_informative_band(tiny_model, tmp_path):
    kinds = ["pass", "fail", "mixed"] * 4
    trainer = make_trainer(tiny_model, tmp_path, kinds, curriculum="online", curriculum_min_weight=0.01)
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, OnlineCurriculumSampler)
    # TRL's layout: each prompt num_generations times in a row, each generation batch repeated.
    indices = list(sampler)
    assert len(indices) == len(sampler) == 12 * G
    assert all(indices[i] == indices[i + 1] for i in range(0, len(indices), G))
    assert torch.allclose(sampler.weights(), torch.full((12,), 0.26, dtype=torch.float64))  # all at the prior
    trainer.model.train()
    for _ in range(2):  # every task scored through the real trainer: rewards -> running pass rates
        trainer._generate_and_score_completions(batch(kinds))
    weights = sampler.weights()
    mixed = torch.tensor([k == "mixed" for k in kinds])
    assert torch.allclose(weights[mixed], torch.tensor(0.26, dtype=torch.float64))
    assert torch.allclose(weights[~mixed], torch.tensor(0.01, dtype=torch.float64))
    drawn = [sampler.draw(1)[0] for _ in range(400)]
    assert sum(kinds[i] == "mixed" for i in drawn) > 0.9 * len(drawn)
    assert trainer._metrics["train"]["curriculum/seen_tasks"][-1] == 12


def test_balance_by_gives_each_value_an_equal_share_of_the_prompts(tiny_model, tmp_path):
    # 9 'pass' rows and 3 'fail' rows: TRL's shuffle gives 'pass' 3/4 of the draws; balance_by: kind gives 1/2.
    kinds = ["pass"] * 9 + ["fail"] * 3
    trainer = make_trainer(tiny_model, tmp_path, kinds, balance_by="kind")
    sampler = trainer._get_train_sampler()
    assert type(sampler) is WeightedRepeatSampler and trainer._curriculum is None
    assert torch.allclose(sampler.weights(), torch.tensor([1 / 9] * 9 + [1 / 3] * 3, dtype=torch.float64))
    indices = list(sampler)  # TRL's layout: each prompt num_generations times in a row
    assert len(indices) == len(sampler) == 12 * G and all(indices[i] == indices[i + 1] for i in range(0, 24, G))
    drawn = [i for _ in range(300) for i in sampler.draw(2)]  # each draw without replacement
    assert abs(sum(kinds[i] == "fail" for i in drawn) / len(drawn) - 0.5) < 0.05
    trainer.train()  # the real trainer runs on the balanced stream
    assert trainer.state.global_step == 2
    # With the online curriculum the balance weights multiply the pass-rate weights.
    both = make_trainer(tiny_model, tmp_path, kinds, balance_by="kind", curriculum="online")
    curriculum = both._get_train_sampler()
    assert isinstance(curriculum, OnlineCurriculumSampler) and both._curriculum is curriculum
    assert torch.allclose(curriculum.weights(), torch.tensor([0.27 / 9] * 9 + [0.27 / 3] * 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="no column 'family'"):
        make_trainer(tiny_model, tmp_path, kinds, balance_by="family")._get_train_sampler()


def test_balance_weights():
    assert balance_weights(["a", "b", "a", None, "a"]) == [1 / 3, 1.0, 1 / 3, 1.0, 1 / 3]
    assert sum(balance_weights([1, 1, 2, {"x": 1}, {"x": 1}])) == pytest.approx(3)
    with pytest.raises(ValueError, match="2 base weights for 3 rows"):
        WeightedRepeatSampler(["a", "b", "c"], mini_repeat_count=2, base_weights=[1.0, 1.0])


def test_ema_update():
    sampler = OnlineCurriculumSampler(["a", "b"], mini_repeat_count=2, ema=0.5, prior=0.5, min_weight=0.0)
    sampler.update(["a", "b"], [1.0, float("nan")])
    sampler.update(["a"], [0.0])
    assert sampler.rates == {"a": 0.5}
    assert sampler.weight(0.5) == 0.25 and sampler.weight(1.0) == 0.0


def test_group_stats():
    rewards = torch.tensor([[1.0], [1.0], [0.0], [0.0], [1.0], [0.0], [float("nan")], [float("nan")]])
    stats = group_stats(rewards, torch.ones(1), 2, 1.0)
    assert stats.mixed.tolist() == [False, False, True, False]
    assert stats.all_pass.tolist() == [True, False, False, False]
    assert stats.all_fail.tolist() == [False, True, False, True]
    assert stats.pass_rate[:3].tolist() == [1.0, 0.0, 0.5] and stats.pass_rate[3].isnan()


def test_group_stats_pass_at_the_execution_rewards_full_marks():
    # Columns: xcoder_graded (full mark 5) and a format reward (no full mark). Rows in groups of 2.
    nan = float("nan")
    rewards = torch.tensor([[5.0, 0.0], [1.0, 1.0], [5.0, 1.0], [2.5, 1.0], [nan, nan], [5.0, 1.0]])
    stats = group_stats(rewards, torch.ones(2), 2, None, [5.0, None])
    assert stats.pass_rate.tolist() == [0.5, 0.5, 1.0]  # a total of 2 or 3.5 is no pass; a judge None is unscored
    assert stats.all_pass.tolist() == [False, False, True]
    assert group_stats(rewards, torch.ones(2), 2, 1.0, [5.0, None]).pass_rate.tolist() == [1.0, 1.0, 1.0]
    assert group_stats(rewards[:, 1:], torch.ones(1), 2, None, [None]).pass_rate.tolist()[:2] == [0.5, 1.0]


def test_full_marks_come_from_the_execution_rewards():
    from rewards.registry import get_reward_funcs

    funcs = get_reward_funcs(["binary", "xcoder_graded", "format"], xcoder_graded={"scale": 3.0})
    assert full_marks(funcs) == [1.0, 3.0, None]
    assert full_marks([len]) == [None]


def test_options_are_checked(tmp_path):
    training = GRPOConfig(output_dir=str(tmp_path), use_cpu=True)
    with pytest.raises(ValueError, match="curriculum must be one of"):
        check_options(GRPOScriptArguments(dataset_name="x", curriculum="sorted"), training)
    with pytest.raises(ValueError, match="set only one"):
        check_options(
            GRPOScriptArguments(dataset_name="x", curriculum="online", curriculum_column="pass_rate"), training
        )
    with pytest.raises(ValueError, match="curriculum_min_weight"):
        check_options(GRPOScriptArguments(dataset_name="x", curriculum_min_weight=0), training)
    with pytest.raises(ValueError, match="balance_by draws prompts by weight"):
        check_options(GRPOScriptArguments(dataset_name="x", balance_by="source", curriculum_column="x"), training)


def test_switches_parse_from_the_recipe_config():
    from pathlib import Path

    from xcoder.train.grpo import make_parser

    config = Path(__file__).resolve().parents[1] / "recipes/tiny/grpo.yaml"
    script, _, _ = make_parser().parse_args_and_config(
        [
            "--config",
            str(config),
            "--dynamic_sampling",
            "true",
            "--curriculum",
            "online",
            "--dynamic_sampling_max_rounds",
            "5",
            "--group_log",
            "true",
        ],
        fail_with_unknown_args=True,
    )
    options = script.group_sampling()
    assert options.dynamic_sampling and options.curriculum == "online" and options.dynamic_sampling_max_rounds == 5
    assert options.group_log
    default, _, _ = make_parser().parse_args_and_config(["--config", str(config)], fail_with_unknown_args=True)
    assert not default.group_sampling_enabled  # off unless asked for


def test_the_recipe_runs_with_both_switches(tmp_path):
    """``recipes/grpo.py`` as launched, on the untrained tiny model: nothing passes, so every group is
    all-fail, the refill budget is spent each step and the batch is padded."""
    import ast
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    cmd = [
        sys.executable,
        "recipes/grpo.py",
        "--config",
        "recipes/tiny/grpo.yaml",
        "--build_tiny_model",
        "true",
        "--model_name_or_path",
        str(tmp_path / "model"),
        "--output_dir",
        str(tmp_path / "grpo"),
        "--max_steps",
        "2",
        "--max_completion_length",
        "8",
        "--dynamic_sampling",
        "true",
        "--dynamic_sampling_max_rounds",
        "1",
        "--curriculum",
        "online",
    ]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    steps = []
    for line in (proc.stdout + proc.stderr).replace("\r", "\n").splitlines():
        if "{'loss'" in line:
            start = line.index("{'loss'")
            steps.append(ast.literal_eval(line[start : line.index("}", start) + 1]))
    assert len(steps) == 2, proc.stderr[-2000:]
    for step in steps:  # 2 prompts per step and per refill round (at most 1 here)
        rounds = float(step["dynamic_sampling/rounds"])
        groups = sum(float(step[f"groups/{k}"]) for k in ("all_pass", "all_fail", "mixed"))
        assert rounds <= 1 and groups == 2 * (1 + rounds) and "curriculum/seen_tasks" in step
