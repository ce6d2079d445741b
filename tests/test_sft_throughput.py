"""benchmarks/sft_throughput.py on the CPU: the tiny shape in seconds, and the preset shapes' sizes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("sft_throughput", ROOT / "benchmarks/sft_throughput.py")
bench = importlib.util.module_from_spec(spec)
sys.modules["sft_throughput"] = bench  # dataclasses look their module up
spec.loader.exec_module(bench)


@pytest.mark.parametrize(
    "preset, total, matmul",
    [
        ("qwen2.5-coder-1.5b", 1.54e9, 1.54e9 - 1536 * 151936 + 1536 * 151936),  # tied: output layer counted once
        ("qwen2.5-coder-7b", 7.62e9, 7.62e9 - 3584 * 152064),
    ],
)
def test_presets_have_the_published_sizes(preset, total, matmul):
    """Qwen2.5-Coder-1.5B has 1.54B parameters, the 7B 7.62B (their model cards)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(bench.model_config(preset, 0))
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(total, rel=5e-3)
    assert bench.matmul_params(model) == pytest.approx(matmul, rel=5e-3)


def test_peak_table_by_device_name():
    assert bench.peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert bench.peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert bench.peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0
    assert bench.peak_tflops("Some Future GPU") is None


def test_cpu_run_of_the_tiny_shape(tmp_path):
    out = tmp_path / "bench.json"
    report = bench.main(
        [
            "--preset",
            "tiny",
            "--max-length",
            "128",
            "--steps",
            "2",
            "--warmup",
            "1",
            "--attn",
            "sdpa",
            "--ac",
            "off",
            "--peak-tflops",
            "1",
            "--cpu",
            "--out",
            str(out),
        ]
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    results = {r["packing"]: r for r in report["results"]}
    assert set(results) == {True, False}, report
    for r in results.values():
        assert "error" not in r, r
        assert r["tokens_per_second"] > 0 and r["step_seconds"] > 0 and 0 < r["mfu"] < 1
        assert r["attn"] == "sdpa" and r["activation_checkpointing"] is False
    assert results[True]["real_share"] == 1.0 and 0 < results[True]["bin_fill"] <= 1  # padding-free
    assert results[False]["real_share"] < 1.0  # padded to the longest row of each batch
