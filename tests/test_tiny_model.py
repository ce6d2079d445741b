"""The tiny local model: tokenizer, chat template/assistant mask, Auto-class loading, determinism,
idempotent builds and the ``xcoder tiny-model`` command."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from xcoder.tiny_model import (  # noqa: E402
    IM_END,
    IM_START,
    MARKER_FILE,
    PAD_TOKEN,
    TinyModelSpec,
    build_tiny_model,
    holds_model,
    read_spec,
)

SMALL = dict(vocab_size=1024, hidden_size=64, num_layers=1, num_heads=2, num_kv_heads=1, max_position_embeddings=256)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tokenizer(model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir)


CODE_SAMPLES = [
    "import sys\n\n\ndef main() -> None:\n    n = int(sys.stdin.readline())\n    print(n * 2 + 10**9)\n",
    "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n\t\treturn [0, 1]\n",
    "s = 'héllo wörld ✓ 日本'  # non-ASCII survives byte-level BPE\nprint(f\"{s!r:>20}\")\n",
    "x=[[1,2],[3,4]];print(sum(map(sum,x)))\r\n   \n\n",
]


@pytest.mark.parametrize("text", CODE_SAMPLES)
def test_tokenizer_round_trips_code(tokenizer, text):
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    assert len(ids) < len(text.encode())  # BPE merges something: it is not a byte tokenizer


def test_tokenizer_specials_and_digits(tokenizer, model_dir):
    from tokenizers import Tokenizer

    for token in (PAD_TOKEN, IM_START, IM_END):
        ids = tokenizer(token, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1 and tokenizer.convert_ids_to_tokens(ids[0]) == token
    assert tokenizer.eos_token == IM_END and tokenizer.pad_token == PAD_TOKEN
    assert tokenizer.tokenize("12345") == list("12345")  # one token per digit
    # AutoTokenizer (which rebuilds Qwen2's pipeline) tokenizes exactly like the saved tokenizer.json
    raw = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    for text in CODE_SAMPLES:
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == raw.encode(text).ids


def test_chat_template_renders_chatml(tokenizer):
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
    full = tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": "A"}], tokenize=False)
    assert full.startswith(text) and full.endswith("A<|im_end|>\n")


def test_generation_markers_give_the_assistant_mask(tokenizer):
    messages = [
        {"role": "system", "content": "You write Python."},
        {"role": "user", "content": "Add two numbers."},
        {"role": "assistant", "content": "```python\nprint(sum(map(int, input().split())))\n```"},
        {"role": "user", "content": "Now multiply."},
        {"role": "assistant", "content": "```python\na, b = map(int, input().split())\nprint(a * b)\n```"},
    ]
    out = tokenizer.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = out["input_ids"], out["assistant_masks"]
    assert len(ids) == len(mask) and 0 < sum(mask) < len(mask)
    # contiguous masked spans are exactly the assistant turns, each with its <|im_end|>
    spans, current = [], []
    for token, bit in zip(ids, mask):
        if bit:
            current.append(token)
        elif current:
            spans.append(tokenizer.decode(current))
            current = []
    if current:
        spans.append(tokenizer.decode(current))
    assert spans == [messages[2]["content"] + IM_END, messages[4]["content"] + IM_END]


def test_template_satisfies_trl_checks(tokenizer):
    from trl.chat_template_utils import (
        has_generation_markers,
        is_chat_template_prefix_preserving,
        is_chat_template_stop_token_trained,
    )

    assert has_generation_markers(tokenizer.chat_template)
    assert is_chat_template_stop_token_trained(tokenizer)
    assert is_chat_template_prefix_preserving(tokenizer)


def test_model_loads_with_auto_classes(model_dir, tokenizer):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    spec = TinyModelSpec()
    assert type(model).__name__ == "Qwen2ForCausalLM"
    cfg = model.config
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads, cfg.num_key_value_heads) == (
        spec.hidden_size,
        spec.num_layers,
        spec.num_heads,
        spec.num_kv_heads,
    )
    assert cfg.vocab_size == len(tokenizer) <= spec.vocab_size
    assert model.generation_config.eos_token_id == tokenizer.convert_tokens_to_ids(IM_END)
    ids = tokenizer("print(1)", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = model(ids).logits
    assert logits.shape == (1, ids.shape[1], len(tokenizer))
    out = model.generate(ids, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    assert out.shape[1] > ids.shape[1]
    info = json.loads((model_dir / MARKER_FILE).read_text())
    assert info["parameters"] == sum(p.numel() for p in model.parameters())


def test_build_is_deterministic_by_seed(tmp_path):
    a = build_tiny_model(tmp_path / "a", TinyModelSpec(**SMALL, seed=3))
    b = build_tiny_model(tmp_path / "b", TinyModelSpec(**SMALL, seed=3))
    c = build_tiny_model(tmp_path / "c", TinyModelSpec(**SMALL, seed=4))
    for name in ("tokenizer.json", "model.safetensors", "config.json", "chat_template.jinja"):
        assert filecmp.cmp(a / name, b / name, shallow=False), name
    assert filecmp.cmp(a / "tokenizer.json", c / "tokenizer.json", shallow=False)
    assert not filecmp.cmp(a / "model.safetensors", c / "model.safetensors", shallow=False)


def test_build_is_idempotent_and_refuses_silent_changes(tmp_path):
    out = tmp_path / "m"
    spec = TinyModelSpec(**SMALL)
    build_tiny_model(out, spec)
    before = (out / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_model(out, TinyModelSpec(**SMALL)) == out  # reused
    assert (out / "model.safetensors").stat().st_mtime_ns == before
    bigger = TinyModelSpec(**{**SMALL, "hidden_size": 128})
    with pytest.raises(ValueError, match="different spec"):
        build_tiny_model(out, bigger)
    build_tiny_model(out, bigger, overwrite=True)
    assert read_spec(out).hidden_size == 128
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left behind

    other = tmp_path / "not-a-model"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        build_tiny_model(other, spec)
    assert (other / "notes.txt").read_text() == "keep me"
    assert not holds_model(other)


def test_extra_corpus_changes_the_tokenizer(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("zyzzyva_quux " * 50 + "\n========\n" + "frobnicate(zyzzyva_quux)\n" * 50)
    out = build_tiny_model(tmp_path / "m", TinyModelSpec(**SMALL, corpus_files=[str(corpus)]))
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out)
    assert len(tok.tokenize(" zyzzyva_quux")) <= 2  # learned from the extra file
    with pytest.raises(ValueError, match="corpus file"):
        build_tiny_model(tmp_path / "n", TinyModelSpec(**SMALL, corpus_files=[str(tmp_path / "missing.txt")]))


def test_spec_validation():
    with pytest.raises(ValueError, match="divisible"):
        TinyModelSpec(hidden_size=100, num_heads=3)
    with pytest.raises(ValueError, match="num_kv_heads"):
        TinyModelSpec(num_heads=4, num_kv_heads=3)
    assert TinyModelSpec(hidden_size=256).intermediate_size == 704


def test_cli_rejects_a_bad_spec_in_one_line(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "xcoder.cli",
        "tiny-model",
        "--out",
        str(tmp_path / "m"),
        "--hidden-size",
        "100",
        "--num-heads",
        "3",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: TinyModelSpec: hidden_size 100 is not divisible by num_heads 3"
    ]
    assert not (tmp_path / "m").exists()


@pytest.mark.slow  # two fresh interpreters importing torch/transformers: ~20 s on 2 busy cores
def test_cli_builds_and_reports(tmp_path):
    out = tmp_path / "cli-model"
    args = [
        "--hidden-size",
        "64",
        "--num-layers",
        "1",
        "--num-heads",
        "2",
        "--num-kv-heads",
        "1",
        "--vocab-size",
        "1024",
    ]
    cmd = [sys.executable, "-m", "xcoder.cli", "tiny-model", "--out", str(out), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert holds_model(out) and "parameters" in done.stdout
    # a conflicting spec is a clear error, exit code 2, and the model is untouched
    done = subprocess.run([*cmd[:-8], "--hidden-size", "128"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2 and "different spec" in done.stderr and "Traceback" not in done.stderr
    assert read_spec(out).hidden_size == 64
