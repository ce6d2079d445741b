"""The SFT replay term (``xcoder.train.replay``) through TRL's real ``GRPOTrainer`` on the tiny model."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("trl")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

from xcoder.cli_errors import UserError  # noqa: E402
from xcoder.train.data_paths import check_data_paths  # noqa: E402
from xcoder.train.grpo import GRPOConfig, GRPOScriptArguments, check_options  # noqa: E402
from xcoder.train.grpo_trainer import GroupSamplingGRPOTrainer  # noqa: E402
from xcoder.train.replay import ReplayBatches, ReplayOptions, answer_nll, load_replay_rows, tokenize_rows  # noqa: E402

ANSWER = "```python\nprint(sum(map(int, input().split())))\n```"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from xcoder.tiny_model import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "model"))


@pytest.fixture
def sft_file(tmp_path):
    """Supervised rows in the data-generation export's layout (``messages``)."""
    path = tmp_path / "sft.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Add the numbers, case {i}."},
                {"role": "assistant", "content": ANSWER},
            ]
        }
        for i in range(5)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def constant_reward(completions, **kwargs):
    """Every completion scores the same: zero advantage, so only the replay term can move the policy."""
    return [1.0] * len(completions)


def make_trainer(model: str, tmp_path, replay: ReplayOptions | None) -> GroupSamplingGRPOTrainer:
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        num_generations=2,
        per_device_train_batch_size=4,
        max_completion_length=4,
        max_steps=3,
        learning_rate=1e-2,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        seed=0,
        beta=0.0,
        loss_type="dapo",
        dataloader_num_workers=0,
    )
    data = Dataset.from_list([{"prompt": [{"role": "user", "content": f"task {i}"}]} for i in range(4)])
    return GroupSamplingGRPOTrainer(
        model=model, reward_funcs=constant_reward, args=args, train_dataset=data, replay=replay
    )


def replay_nll(trainer: GroupSamplingGRPOTrainer, sft_file) -> float:
    """Mean answer NLL of every row of the file under the trainer's current model."""
    tokenizer = trainer.processing_class
    rows = tokenize_rows(load_replay_rows(str(sft_file)), tokenizer, None, "sft")
    batches = ReplayBatches(rows, len(rows), tokenizer.pad_token_id, seed=0)
    trainer.model.eval()
    with torch.no_grad():
        return answer_nll(trainer.model, batches.batch("cpu")).item()


def test_labels_cover_exactly_the_answer_tokens(tiny_model, sft_file):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    rows = load_replay_rows(str(sft_file))
    (ids, prompt_len), *_ = tokenize_rows(rows, tokenizer, None, "sft")
    prompt = tokenizer.apply_chat_template(rows[0]["prompt"], add_generation_prompt=True, tokenize=True)
    prompt_ids = list(prompt["input_ids"] if hasattr(prompt, "keys") else prompt)
    assert prompt_len == len(prompt_ids) and ids[:prompt_len] == prompt_ids
    assert ANSWER in tokenizer.decode(ids[prompt_len:])
    batch = ReplayBatches([(ids, prompt_len)], 1, tokenizer.pad_token_id, seed=0).batch("cpu")
    labels = batch["labels"][0]
    assert (labels[:prompt_len] == -100).all() and labels[prompt_len:].tolist() == ids[prompt_len:]


def test_batches_visit_every_row_once_per_pass():
    rows = [([1, 2, 3], 1), ([1, 2], 1), ([4, 5, 6, 7], 2)]
    batches = ReplayBatches(rows, 2, pad_id=0, seed=3)
    drawn = batches.next_indices() + batches.next_indices() + batches.next_indices()
    assert sorted(drawn[:3]) == [0, 1, 2] and sorted(drawn[3:]) == [0, 1, 2]
    batch = ReplayBatches(rows, 3, pad_id=0, seed=3).batch("cpu")
    assert batch["input_ids"].shape == (3, 4) and batch["attention_mask"].sum().item() == 9


def test_max_length_cuts_answers_and_drops_rows_whose_prompt_fills_it(tiny_model, sft_file):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    rows = load_replay_rows(str(sft_file))
    (full, prompt_len), *_ = tokenize_rows(rows, tokenizer, None, "sft")
    cut = tokenize_rows(rows, tokenizer, prompt_len + 2, "sft")
    assert all(len(ids) == prompt_len + 2 for ids, _ in cut)
    with pytest.raises(ValueError, match="no replay rows left"):
        tokenize_rows(rows, tokenizer, prompt_len, "sft")


def test_replay_trains_the_policy_toward_the_sft_rows(tiny_model, sft_file, tmp_path):
    """With zero advantage everywhere, GRPO alone leaves the weights where they are; with replay the
    NLL of the replay rows falls, and each step logs it."""
    plain = make_trainer(tiny_model, tmp_path / "plain", None)
    before = replay_nll(plain, sft_file)
    plain.train()
    assert replay_nll(plain, sft_file) == pytest.approx(before, abs=1e-6)

    replay = ReplayOptions(replay_dataset=str(sft_file), replay_coef=1.0, replay_batch_size=2)
    trainer = make_trainer(tiny_model, tmp_path / "replay", replay)
    assert replay_nll(trainer, sft_file) == pytest.approx(before, abs=1e-6)
    trainer.train()
    assert replay_nll(trainer, sft_file) < before - 0.5
    logged = [h["replay/nll"] for h in trainer.state.log_history if "replay/nll" in h]
    assert len(logged) == 3 and logged[-1] < logged[0]


def test_options_are_checked(tmp_path, sft_file):
    args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, report_to="none")
    with pytest.raises(ValueError, match="replay_coef must be positive"):
        check_options(GRPOScriptArguments(replay_dataset=str(sft_file), replay_coef=0.0), args)
    with pytest.raises(ValueError, match="replay_batch_size"):
        check_options(GRPOScriptArguments(replay_dataset=str(sft_file), replay_batch_size=0), args)
    check_options(GRPOScriptArguments(replay_coef=0.0), args)  # no replay_dataset: the options are idle
    with pytest.raises(UserError, match=r"replay_dataset: .*missing\.jsonl does not exist"):
        check_data_paths(GRPOScriptArguments(replay_dataset=str(tmp_path / "missing.jsonl")))


def test_a_bad_replay_row_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "only a question"}]}) + "\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl row 0: no non-empty assistant message"):
        load_replay_rows(str(path))


def test_the_recipe_runs_with_replay(tmp_path, sft_file):
    """``recipes/grpo.py`` as launched, with ``--replay_dataset``: every step logs the replay NLL."""
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
        "--replay_dataset",
        str(sft_file),
        "--replay_batch_size",
        "2",
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
    assert len(steps) == 2 and all(float(s["replay/nll"]) > 0 for s in steps), proc.stderr[-2000:]


def test_the_pipeline_passes_the_sft_rows_only_when_asked(tmp_path):
    """``grpo.replay_sft`` puts the SFT stage's rows in GRPO's config, and when off it leaves the grpo
    fingerprint as it was before the option existed."""
    from pathlib import Path

    from pipeline.config import load_pipeline_config
    from pipeline.runner import stage_settings
    from pipeline.stages.train import grpo_forced_args
    from pipeline.state import State

    root = Path(__file__).resolve().parents[1]
    base = root / "recipes" / "tiny" / "pipeline.yaml"
    out = tmp_path / "run"
    state = State(out)
    state.data["stages"]["verify"] = {"info": {"sft_file": "synth/export/sft_split.jsonl"}}
    off = load_pipeline_config(base, {"output_dir": str(out)})
    on = load_pipeline_config(base, {"output_dir": str(out), "grpo": {"replay_sft": True}})
    assert "replay_dataset" not in grpo_forced_args(off, state, out / "rl", out / "rl.jsonl")
    forced = grpo_forced_args(on, state, out / "rl", out / "rl.jsonl")
    assert forced["replay_dataset"] == str((out / "synth/export/sft_split.jsonl").resolve())
    assert "replay_sft" not in stage_settings(off)["grpo"][0]
    assert stage_settings(on)["grpo"] != stage_settings(off)["grpo"]
