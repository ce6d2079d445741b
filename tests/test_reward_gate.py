"""A judge failure is None for the whole completion, also when rewards are combined (TRL drops a
completion from its group's baseline only when every reward says None)."""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from rewards import get_reward_funcs
from rewards.shared_judge import close_judge, configure_judge

ADD = json.dumps({"inputs": ["1 2\n", "3 4\n"], "outputs": ["3", "7"]})
CORRECT = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
WRONG = "```python\nprint(0)\n```"
BROKEN_CHECKER = "def check(:"  # the data's fault: the judge reports judge_error


@pytest.fixture(scope="module", autouse=True)
def shared_judge():
    configure_judge(workers=2, timeout=2.0)
    yield
    close_judge()


def kwargs(completions, checkers):
    n = len(completions)
    return dict(
        prompts=["p"] * n,
        completions=completions,
        completion_ids=[[1, 2]] * n,
        input_output=[ADD] * n,
        checker=checkers,
    )


@pytest.mark.parametrize("order", [["binary", "format"], ["format", "binary"]])
@pytest.mark.parametrize("asynchronous", [False, True])
def test_judge_failure_is_none_in_every_reward(order, asynchronous):
    funcs = get_reward_funcs(order, asynchronous=asynchronous)
    kw = kwargs([CORRECT, CORRECT, WRONG], [None, BROKEN_CHECKER, None])
    out = {}
    for f in funcs:  # TRL calls sync functions in list order, async ones afterwards, concurrently
        out[f.__name__] = asyncio.run(f(**kw)) if asyncio.iscoroutinefunction(type(f).__call__) else f(**kw)
    assert out["binary"] == [1.0, None, 0.0]
    assert out["format"] == [1.0, None, 1.0]  # without the gate: [1.0, 1.0, 1.0]


def test_execution_reward_runs_once_per_batch():
    calls = []
    funcs = get_reward_funcs(["binary", "format"])
    binary = funcs[0].func
    original = binary.reward.score
    binary.reward.score = lambda batch: calls.append(1) or original(batch)
    kw = kwargs([CORRECT, WRONG], [None, None])
    assert funcs[1](**kw) == [1.0, 1.0] and funcs[0](**kw) == [1.0, 0.0]
    assert len(calls) == 1
    funcs[0](**kwargs([WRONG, CORRECT], [None, None]))  # a new batch is judged anew
    assert len(calls) == 2


def test_single_reward_and_shaping_only_lists_are_not_wrapped():
    (binary,) = get_reward_funcs(["binary"])
    assert type(binary).__name__ == "RewardFunction"
    (fmt,) = get_reward_funcs(["format"])
    assert type(fmt).__name__ == "RewardFunction"


@pytest.mark.slow
def test_grpo_trainer_excludes_judge_failures_from_the_group(tmp_path):
    """Through TRL's GRPOTrainer on the tiny model: every completion of the row whose tests cannot
    be read (the data's fault, as a judge error is) has NaN in every reward column, so TRL leaves it
    out of the group baseline; the other row's format reward is a number. (The untrained model
    writes no code, so the row's tests, not the judge, carry the failure here.)"""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from xcoder.tiny_model import build_tiny_model

    model_dir = build_tiny_model(tmp_path / "model")
    user = [{"role": "user", "content": "Add two numbers."}]
    ds = Dataset.from_list(
        [
            {"prompt": user, "question_id": "ok", "input_output": ADD},
            {"prompt": user, "question_id": "broken", "input_output": "{not json"},
        ]
    )
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        per_device_train_batch_size=4,
        num_generations=2,
        max_completion_length=16,
        logging_steps=100,
        report_to=[],
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        shuffle_dataset=False,
        seed=0,
        log_completions=False,
    )
    trainer = GRPOTrainer(
        model=str(model_dir), reward_funcs=get_reward_funcs(["binary", "format"]), args=args, train_dataset=ds
    )
    trainer.train()
    logs = trainer._logs
    assert len(logs["prompt"]) == 4
    rows = list(zip(*(logs["rewards"][name] for name in ("binary", "format"))))
    qids = ["ok", "ok", "broken", "broken"]
    for qid, values in zip(qids, rows):
        if qid == "broken":
            assert all(math.isnan(v) for v in values), rows
        else:
            assert not math.isnan(values[1]), rows
