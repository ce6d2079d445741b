"""Published model shapes with random weights, for benchmarks and GPU checks without downloads.

Why: step time and memory depend on a model's shape, not on its weights, so a model built from a
published config (Qwen2.5-Coder-1.5B, -7B) with random weights measures the real thing offline.
``benchmarks/sft_throughput.py`` builds these in memory; ``write_random_model`` saves one as a model
directory, for code that loads a path (``recipes/grpo.py``, ``xcoder rl select``;
``scripts/gpu_rl_check.sh``). Its tokenizer is the tiny model's (``xcoder.tiny_model``): ChatML like
Qwen's, trained here, with ids inside every shape's vocabulary.

    python -m xcoder.model_shapes --preset qwen2.5-coder-1.5b --out runs/shapes/1.5b --device cuda
"""

from __future__ import annotations

import argparse
from pathlib import Path

# Published architectures (config.json of Qwen/Qwen2.5-Coder-1.5B and -7B). The 7B's vocabulary is
# padded to 152064; the 1.5B ties its input and output embeddings.
PRESETS: dict[str, dict] = {
    "qwen2.5-coder-1.5b": dict(
        hidden_size=1536,
        intermediate_size=8960,
        num_hidden_layers=28,
        num_attention_heads=12,
        num_key_value_heads=2,
        vocab_size=151936,
        rope_theta=1_000_000.0,
        tie_word_embeddings=True,
        max_position_embeddings=32768,
        rms_norm_eps=1e-6,
    ),
    "qwen2.5-coder-7b": dict(
        hidden_size=3584,
        intermediate_size=18944,
        num_hidden_layers=28,
        num_attention_heads=28,
        num_key_value_heads=4,
        vocab_size=152064,
        rope_theta=1_000_000.0,
        tie_word_embeddings=False,
        max_position_embeddings=32768,
        rms_norm_eps=1e-6,
    ),
    # CPU smoke shape: seconds per step
    "tiny": dict(
        hidden_size=64,
        intermediate_size=176,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        vocab_size=4096,
        rope_theta=10_000.0,
        tie_word_embeddings=True,
        max_position_embeddings=4096,
        rms_norm_eps=1e-6,
    ),
}


def model_config(preset: str, vocab_floor: int, **extra):
    """The preset's ``Qwen2Config``, its vocabulary at least ``vocab_floor`` (the tokenizer's size);
    ``extra`` goes to the config (``use_cache``, token ids)."""
    from transformers import Qwen2Config

    shape = dict(PRESETS[preset])
    theta = shape.pop("rope_theta")
    shape["vocab_size"] = max(shape["vocab_size"], vocab_floor)
    return Qwen2Config(**shape, rope_parameters={"rope_type": "default", "rope_theta": theta}, **extra)


def write_random_model(preset: str, out_dir: str | Path, device: str = "cpu", seed: int = 0) -> Path:
    """Save a bf16 model of the preset's shape with random (seeded) weights and the tiny tokenizer
    into ``out_dir`` (new or empty). ``device="cuda"`` initialises the weights there: seconds
    instead of minutes for the larger shapes."""
    import torch
    from transformers import AutoModelForCausalLM

    from xcoder.tiny_model import corpus_documents, save_with_tokenizer, special_token_ids, train_tokenizer

    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; give a new directory")
    max_len = PRESETS[preset]["max_position_embeddings"]
    tokenizer = train_tokenizer(corpus_documents(), 4096, max_len)
    config = model_config(preset, len(tokenizer), use_cache=True, **special_token_ids(tokenizer))
    torch.manual_seed(seed)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    save_with_tokenizer(model, tokenizer, out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Save a random-weight model of a published shape.")
    parser.add_argument("--preset", choices=sorted(PRESETS), required=True)
    parser.add_argument("--out", required=True, help="a new or empty directory")
    parser.add_argument("--device", default="cpu", help="where the weights are initialised (cpu, cuda)")
    parser.add_argument("--seed", type=int, default=0)
    opts = parser.parse_args(argv)
    out = write_random_model(opts.preset, opts.out, opts.device, opts.seed)
    print(f"wrote a random {opts.preset} model to {out}")


if __name__ == "__main__":
    main()
