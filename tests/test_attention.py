"""Packed (padding-free) batches give the same per-token losses as the documents run alone, for
every attention implementation the recipes may pick that runs on a CPU; the recipes' choice."""

from __future__ import annotations

import pytest

pytest.importorskip("trl")

from xcoder.train.attention import (  # noqa: E402
    PACKING_SAFE,
    choose_attention,
    packed_loss_gap,
    packed_position_ids,
)

DOCS = [[5, 17, 99, 3, 42, 8, 9], [7, 8, 9], [11, 12, 13, 14, 15, 16, 30, 31, 32]]
CPU_IMPLS = [i for i in PACKING_SAFE if not i.startswith("flash")]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory) -> str:
    from xcoder.tiny_model import TinyModelSpec, build_tiny_model

    spec = TinyModelSpec(hidden_size=64, num_layers=2, num_heads=2, num_kv_heads=1)
    return str(build_tiny_model(tmp_path_factory.mktemp("attn") / "model", spec))


def _model(path: str, impl: str):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, attn_implementation=impl).eval()


@pytest.mark.parametrize(
    "impl", [pytest.param(i, marks=pytest.mark.slow) if i == "flex_attention" else i for i in CPU_IMPLS]
)
def test_packed_losses_equal_unpacked(tiny_model_dir, impl):
    """flex_attention compiles for ~50 s on a CPU, hence slow."""
    assert packed_loss_gap(_model(tiny_model_dir, impl), DOCS) < 1e-4


def test_the_check_sees_documents_that_attend_to_each_other(tiny_model_dir):
    """Without restarting position ids the packed row is one long sequence: the gap is large."""
    assert packed_loss_gap(_model(tiny_model_dir, "sdpa"), DOCS, restart=False) > 1e-2


def test_positions_are_what_trls_collator_makes():
    import torch
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    collator = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)
    batch = collator([{"input_ids": sum(DOCS, []), "seq_lengths": [len(d) for d in DOCS]}])
    assert "attention_mask" not in batch
    assert torch.equal(batch["position_ids"], packed_position_ids(DOCS))


def test_choice_prefers_flash_attention_then_flex_for_packed_rows_then_sdpa_and_refuses_unsafe_with_packing():
    assert choose_attention(None, True, on_gpu=True, flash_attn=True, flex=True)[0] == "flash_attention_2"
    assert choose_attention("auto", True, on_gpu=True, flash_attn=False, flex=True)[0] == "flex_attention"
    assert choose_attention("auto", False, on_gpu=True, flash_attn=False, flex=True)[0] == "sdpa"  # padded: unmeasured
    assert choose_attention("auto", True, on_gpu=True, flash_attn=False, flex=False)[0] == "sdpa"
    assert choose_attention(None, True, on_gpu=False, flash_attn=False, flex=True)[0] == "sdpa"
    assert choose_attention(None, False, on_gpu=False, flash_attn=False)[0] == "sdpa"
    assert choose_attention("eager", True, on_gpu=True, flash_attn=True) == ("eager", "as configured")
    with pytest.raises(ValueError, match="does not keep packed documents apart"):
        choose_attention("eager_paged", True, on_gpu=True, flash_attn=True)
    assert choose_attention("eager_paged", False, on_gpu=True, flash_attn=True)[0] == "eager_paged"


def test_recipe_prepare_model_applies_and_prints_the_choice(tiny_model_dir, capsys):
    from trl import ModelConfig

    from xcoder.train.sft import SFTConfig, SFTScriptArguments, prepare_model

    args = SFTConfig(output_dir="unused", report_to="none", use_cpu=True, packing=True, max_length=64)
    model_args = ModelConfig(model_name_or_path=tiny_model_dir)
    prepare_model(SFTScriptArguments(), args, model_args)
    assert args.model_init_kwargs["attn_implementation"] == "sdpa" and args.use_liger_kernel is False
    assert "attention: sdpa, Liger kernels: off (CPU)" in capsys.readouterr().err

    args = SFTConfig(output_dir="unused", report_to="none", use_cpu=True, packing=True, max_length=64)
    prepare_model(SFTScriptArguments(auto_kernels=False), args, ModelConfig(model_name_or_path=tiny_model_dir))
    assert args.model_init_kwargs["attn_implementation"] is None  # transformers' default
    with pytest.raises(ValueError, match="packed documents"):
        bad = ModelConfig(model_name_or_path=tiny_model_dir, attn_implementation="eager_paged")
        prepare_model(SFTScriptArguments(), args, bad)
