"""SFT: data formats and mixtures, option checks, CPU precision, TRL's label masks on our data,
packing correctness on the tiny model, and the real ``accelerate launch recipes/sft.py`` run."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

from datasets import Dataset  # noqa: E402

from xcoder.train.sft import (  # noqa: E402
    SFTConfig,
    SFTScriptArguments,
    check_options,
    detect_layout,
    load_sft_dataset,
    mix,
    parse_args,
    to_sft_format,
)

ROOT = Path(__file__).resolve().parents[1]
TINY_DATA = ROOT / "recipes/tiny/data/sft.jsonl"
CHAT = [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}]


def _rows(ds) -> list[dict]:
    return [dict(r) for r in ds]


# --------------------------------------------------------------------------------------------
# Formats


def test_every_layout_becomes_the_same_messages():
    expected = [{"messages": CHAT}]
    cases = {
        "messages": Dataset.from_list([{"messages": [{**t, "extra": 1} for t in CHAT], "id": "x"}]),
        "query_response": Dataset.from_list([{"query": "Q1", "response": "A1", "source": "x-coder"}]),
        "prompt_completion": Dataset.from_list([{"prompt": "Q1", "completion": "A1"}]),
        "conversations": Dataset.from_list(
            [{"conversations": [{"from": "human", "value": "Q1"}, {"from": "gpt", "value": "A1"}]}]
        ),
    }
    for layout, ds in cases.items():
        assert detect_layout(ds.column_names, layout) == layout
        out = to_sft_format(ds, "messages", layout)
        assert out.column_names == ["messages"]
        assert _rows(out) == expected, layout
    conversational_pc = Dataset.from_list([{"prompt": [CHAT[0]], "completion": [CHAT[1]]}])
    assert _rows(to_sft_format(conversational_pc, "messages", "pc")) == expected


def test_prompt_completion_splits_at_the_last_assistant_turn():
    multi = [
        {"role": "system", "content": "S"},
        *CHAT,
        {"role": "user", "content": "Q2"},
        {"role": "assistant", "content": "A2"},
    ]
    out = _rows(to_sft_format(Dataset.from_list([{"messages": multi}]), "prompt_completion", "m"))
    assert out == [{"prompt": multi[:-1], "completion": multi[-1:]}]
    trailing = Dataset.from_list([{"messages": CHAT + [{"role": "user", "content": "thanks"}]}])
    with pytest.raises(ValueError, match="after the last assistant turn"):
        to_sft_format(trailing, "prompt_completion", "m")


@pytest.mark.parametrize(
    "messages, match",
    [
        ([{"role": "user", "content": "Q"}], "no non-empty assistant message"),
        ([{"role": "user", "content": "Q"}, {"role": "assistant", "content": "  "}], "no non-empty assistant"),
        ([{"role": "robot", "content": "Q"}, {"role": "assistant", "content": "A"}], "role 'robot'"),
        ([], "no messages"),
    ],
)
def test_bad_rows_name_the_source_and_row(messages, match):
    good = {"messages": CHAT}
    ds = Dataset.from_list([good, good, {"messages": messages or None}])
    with pytest.raises(ValueError, match=rf"my.jsonl row 2: .*{match}"):
        to_sft_format(ds, "messages", "my.jsonl")


def test_unknown_layout_is_a_clear_error():
    with pytest.raises(ValueError, match=r"cannot tell the row layout .*\['answer', 'question'\]"):
        detect_layout(["question", "answer"], "weird.jsonl")


# --------------------------------------------------------------------------------------------
# Loading and mixing


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_load_local_jsonl_and_parquet_mixture(tmp_path):
    from trl import DatasetMixtureConfig

    ours = _write_jsonl(
        tmp_path / "export.jsonl",
        [{"messages": [CHAT[0], {"role": "assistant", "content": f"A{i}"}]} for i in range(30)],
    )
    xcoder_rows = Dataset.from_list([{"query": f"q{i}", "response": f"r{i}"} for i in range(10)])
    xcoder_rows.to_parquet(str(tmp_path / "xcoder.parquet"))
    mixture = DatasetMixtureConfig(datasets=[{"path": str(ours)}, {"path": str(tmp_path / "xcoder.parquet")}])
    data = load_sft_dataset(SFTScriptArguments(), mixture)
    assert len(data["train"]) == 40 and data["train"].column_names == ["messages"]
    answers = {r["messages"][-1]["content"] for r in data["train"]}
    assert {"A0", "A29", "r0", "r9"} <= answers

    # fractions are shares of the mixture, never repeating rows: 3:1 with 30 and 10 rows -> 30 + 10
    weighted = DatasetMixtureConfig(
        datasets=[{"path": str(ours), "fraction": 3}, {"path": str(tmp_path / "xcoder.parquet"), "fraction": 1}]
    )
    train = load_sft_dataset(SFTScriptArguments(), weighted)["train"]
    kinds = [r["messages"][-1]["content"][0] for r in train]
    assert (kinds.count("A"), kinds.count("r")) == (30, 10)
    # 1:1 -> limited by the smaller source: 10 + 10, a seeded random subset of the larger one
    even = DatasetMixtureConfig(
        datasets=[{"path": str(ours), "fraction": 1}, {"path": str(tmp_path / "xcoder.parquet"), "fraction": 1}],
        test_split_size=0.25,
    )
    split = load_sft_dataset(SFTScriptArguments(max_train_samples=12), even)
    assert len(split["train"]) == 12 and len(split["test"]) == 5


def test_mix_rejects_partial_fractions():
    a = Dataset.from_list([{"messages": CHAT}])
    with pytest.raises(ValueError, match="every dataset in the mixture or for none"):
        mix([a, a], [1.0, None], ["a", "b"])


def test_dataset_name_file_and_errors(tmp_path):
    data = load_sft_dataset(SFTScriptArguments(dataset_name=str(TINY_DATA)), None)
    assert len(data["train"]) == 320 and "test" not in data
    first = data["train"][0]["messages"]
    assert [t["role"] for t in first] == ["system", "user", "assistant"]
    assert first[1]["content"].startswith("### Question:") and first[2]["content"].startswith("```python")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_sft_dataset(SFTScriptArguments(dataset_name=str(tmp_path / "nope.jsonl")), None)
    with pytest.raises(ValueError, match="no training data"):
        load_sft_dataset(SFTScriptArguments(), None)
    # a test split is converted only when evaluation will use it
    two = tmp_path / "two"
    two.mkdir()
    _write_jsonl(two / "train.jsonl", [{"messages": CHAT}] * 3)
    _write_jsonl(two / "test.jsonl", [{"messages": [CHAT[0], {"role": "assistant", "content": "r"}]}])
    no_eval = SFTConfig(output_dir=str(tmp_path), report_to="none", activation_checkpointing=False)
    assert set(load_sft_dataset(SFTScriptArguments(dataset_name=str(two)), None, no_eval)) == {"train"}
    with_eval = SFTConfig(
        output_dir=str(tmp_path), report_to="none", activation_checkpointing=False, eval_strategy="steps", eval_steps=1
    )
    both = load_sft_dataset(SFTScriptArguments(dataset_name=str(two)), None, with_eval)
    assert (len(both["train"]), both["test"][0]["messages"][-1]["content"]) == (3, "r")
    with pytest.raises(ValueError, match="has no split 'validation'"):
        load_sft_dataset(SFTScriptArguments(dataset_name=str(TINY_DATA), dataset_train_split="validation"), None)


# --------------------------------------------------------------------------------------------
# Options and parsing


def _config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sft.yaml"
    path.write_text(text)
    return str(path)


def test_parse_config_with_overrides_and_stale_keys(tmp_path):
    cfg = _config_file(
        tmp_path, "model_name_or_path: m\ndataset_name: d.jsonl\nlearning_rate: 1.0e-4\nmax_length: 64\n"
    )
    script, training, model, mixture = parse_args(
        ["--config", cfg, "--learning_rate", "3e-4", "--output_dir", str(tmp_path)]
    )
    assert (training.learning_rate, training.max_length, model.model_name_or_path) == (3e-4, 64, "m")
    assert isinstance(training, SFTConfig) and script.dataset_format == "messages" and mixture.datasets == []
    stale = _config_file(tmp_path, "model_name_or_path: m\nwarmup_ratio: 0.03\n")  # removed in transformers 5
    with pytest.raises(ValueError, match="warmup_ratio"):
        parse_args(["--config", stale])


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks the CPU fallback; this machine has a GPU")
def test_bf16_is_switched_off_without_a_gpu(tmp_path, caplog):
    cfg = _config_file(tmp_path, "model_name_or_path: m\nbf16: true\n")
    with caplog.at_level("WARNING"):
        _, training, _, _ = parse_args(["--config", cfg, "--output_dir", str(tmp_path)])
    assert training.bf16 is False and training.mixed_precision == "no"
    assert "No GPU found: turned off bf16" in caplog.text
    # plain TRL refuses the same config on this machine, which is why the fallback exists
    import trl

    with pytest.raises(ValueError, match="bf16"):
        trl.SFTConfig(output_dir=str(tmp_path), bf16=True)


def test_check_options_fails_early():
    args = SFTConfig(output_dir="unused", completion_only_loss=True, report_to="none")
    with pytest.raises(ValueError, match="dataset_format: prompt_completion"):
        check_options(SFTScriptArguments(dataset_format="messages"), args)
    check_options(SFTScriptArguments(dataset_format="prompt_completion"), args)
    if __import__("importlib").util.find_spec("liger_kernel") is None:
        with pytest.raises(ImportError, match="liger-kernel"):
            check_options(
                SFTScriptArguments(), SFTConfig(output_dir="unused", use_liger_kernel=True, report_to="none")
            )


# --------------------------------------------------------------------------------------------
# TRL's pipeline on our data and model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    from xcoder.tiny_model import TinyModelSpec, build_tiny_model

    spec = TinyModelSpec(hidden_size=64, num_layers=2, num_heads=2, num_kv_heads=1)
    return str(build_tiny_model(tmp_path_factory.mktemp("sft") / "model", spec))


def _trainer(tiny_model, tmp_path, fmt: str, **overrides):
    from trl import SFTTrainer

    args = SFTConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        report_to="none",
        activation_checkpointing=False,
        max_length=512,
        **overrides,
    )
    script = SFTScriptArguments(dataset_name=str(TINY_DATA), dataset_format=fmt, max_train_samples=8)
    check_options(script, args)
    data = load_sft_dataset(script, None, args)
    return SFTTrainer(model=tiny_model, args=args, train_dataset=data["train"])


@pytest.mark.parametrize(
    "fmt, options",
    [("messages", {"assistant_only_loss": True}), ("prompt_completion", {"completion_only_loss": True})],
)
def test_loss_covers_exactly_the_answer(tiny_model, tmp_path, fmt, options):
    """Both answer-only modes train on the assistant's code block and its <|im_end|>, nothing of
    the prompt. (As a completion, TRL also keeps the newline the template writes after the turn.)"""
    trainer = _trainer(tiny_model, tmp_path, fmt, **options)
    tok = trainer.processing_class
    raw = [json.loads(line) for line in TINY_DATA.read_text().splitlines()[:8]]
    tail = "<|im_end|>" if fmt == "messages" else "<|im_end|>\n"
    for row, example in zip(raw, trainer.train_dataset):
        learned = [t for t, label in zip(example["input_ids"], example["labels"]) if label != -100]
        assert tok.decode(learned) == row["messages"][-1]["content"] + tail


def test_packed_batches_do_not_leak_attention(tiny_model):
    """TRL's padding-free packing on CPU (SDPA, no flash-attn): the packed forward gives every
    document the same logits as running it alone, so documents do not see each other."""
    import torch
    from transformers import AutoModelForCausalLM
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    docs = [[5, 17, 99, 3, 42], [7, 8, 9], [11, 12, 13, 14, 15, 16]]
    collator = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)
    batch = collator([{"input_ids": sum(docs, []), "seq_lengths": [len(d) for d in docs]}])
    with torch.no_grad():
        # use_cache=False as in training (TRL sets it): with a cache, transformers skips packed masking
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits[0]
        alone = torch.cat([model(input_ids=torch.tensor([d])).logits[0] for d in docs])
    assert torch.allclose(packed, alone, atol=1e-5)


@pytest.mark.slow
def test_lora_through_the_recipe_main(tiny_model, tmp_path):
    """The recipe's main() with PEFT flags trains a LoRA adapter on the tiny model."""
    recipe = runpy.run_path(str(ROOT / "recipes/sft.py"), run_name="recipe")
    out = tmp_path / "lora"
    recipe["main"](
        *parse_args(
            [
                "--config",
                str(ROOT / "recipes/tiny/sft.yaml"),
                "--model_name_or_path",
                tiny_model,
                "--output_dir",
                str(out),
                "--max_steps",
                "3",
                "--use_peft",
                "--lora_r",
                "4",
                "--lora_alpha",
                "8",
                "--lora_target_modules",
                "q_proj",
                "v_proj",
                "--max_train_samples",
                "16",
                "--logging_steps",
                "1",
            ]
        )
    )
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 3


# --------------------------------------------------------------------------------------------
# End to end: the real command


@pytest.mark.slow
def test_accelerate_launch_tiny_recipe(tmp_path):
    """``accelerate launch --num_processes 1 --cpu recipes/sft.py --config recipes/tiny/sft.yaml``
    from scratch: builds the tiny model, trains, loss falls, the saved model reloads."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir, out = tmp_path / "model", tmp_path / "sft"
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        "1",
        "--cpu",
        "recipes/sft.py",
        "--config",
        "recipes/tiny/sft.yaml",
        "--model_name_or_path",
        str(model_dir),
        "--output_dir",
        str(out),
        "--max_steps",
        "14",
        "--logging_steps",
        "1",
        "--learning_rate",
        "3e-3",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert (model_dir / "config.json").is_file()  # built on first use

    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = [h["loss"] for h in history if "loss" in h]
    assert len(losses) == 14
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < first - 1.0, losses

    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    trained = dict(model.named_parameters())["model.layers.0.mlp.up_proj.weight"]
    initial = dict(AutoModelForCausalLM.from_pretrained(model_dir).named_parameters())[
        "model.layers.0.mlp.up_proj.weight"
    ]
    assert not torch.equal(trained, initial)
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "Print 1."}], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    generated = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert generated.shape[1] > prompt["input_ids"].shape[1]
