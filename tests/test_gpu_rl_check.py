"""scripts/gpu_rl_check.sh and its model (xcoder.model_shapes) on the CPU: the script must say when
there is no GPU, and its every step must run (GPU_RL_CHECK_CPU=1, the tiny shape), so that the one
call on a lent GPU works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

ROOT = Path(__file__).resolve().parents[1]


def run_script(run_dir: Path, **env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "GPU_RL_CHECK_DIR": str(run_dir), "OMP_NUM_THREADS": "1", **env}
    return subprocess.run(
        ["bash", "scripts/gpu_rl_check.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_random_model_of_a_preset_loads_with_its_tokenizer(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xcoder.model_shapes import PRESETS, write_random_model
    from xcoder.tiny_model import IM_END

    out = write_random_model("tiny", tmp_path / "model")
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.vocab_size == PRESETS["tiny"]["vocab_size"] >= len(tokenizer)
    assert model.config.hidden_size == PRESETS["tiny"]["hidden_size"] and model.config.use_cache
    assert model.generation_config.eos_token_id == tokenizer.convert_tokens_to_ids(IM_END)
    with pytest.raises(FileExistsError):
        write_random_model("tiny", out)


def test_without_a_gpu_it_says_so_and_exits_2(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    done = run_script(tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no GPU on this machine" in done.stdout
    assert not (tmp_path / "work").exists()  # nothing built


@pytest.mark.slow
def test_every_step_runs_on_the_cpu_at_the_tiny_shape(tmp_path):
    done = run_script(tmp_path, GPU_RL_CHECK_CPU="1", GPU_RL_CHECK_STEPS="2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "all steps passed" in done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert {s["status"] for s in results["steps"].values()} == {"ok"} and len(results["steps"]) == 3
    assert results["grpo"]["steps"] == 2 and results["grpo"]["step_time_first_s"] > 0
    assert all(s["reward"] is not None and s["groups/all_fail"] is not None for s in results["grpo"]["per_step"])
    assert results["select"]["rows"] == 16 and results["select"]["samples"] == 64
    assert (tmp_path / "select" / "selected.report.md").is_file()
    assert not (tmp_path / "work").exists()  # the model and the GRPO output are removed
    assert done.stdout.rstrip().splitlines()[-1].startswith("gpu-rl-check: all steps passed")
