"""Ordinary user errors are one `error:` line, a non-zero exit and no traceback, before heavy work."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def one_line(proc: subprocess.CompletedProcess, code: int = 2) -> str:
    assert proc.returncode == code and "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_output_dir_that_is_a_file(tmp_path):
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    fixture = str(ROOT / "tests" / "fixtures" / "lcb_mini")
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"question_id": "fx001", "code_list": ["print(1)"]}\n')
    line = one_line(
        run(
            "-m",
            "xcoder.cli",
            "eval",
            "--backend",
            "samples",
            "--samples",
            str(samples),
            "--dataset",
            fixture,
            "--output-dir",
            str(a_file),
        )
    )
    assert str(a_file) in line and "is a file" in line
    cfg = tmp_path / "gen.yaml"
    cfg.write_text(f"output_dir: {a_file}\nllm: {{base_url: 'http://127.0.0.1:9/v1', model: m}}\n")
    line = one_line(run("-m", "xcoder.cli", "gen", "run", "--config", str(cfg)))
    assert str(a_file) in line and "is a file" in line
    line = one_line(
        run("-m", "xcoder.cli", "pipeline", "--config", "recipes/tiny/pipeline.yaml", "--output-dir", str(a_file)),
        code=1,
    )
    assert str(a_file) in line


def test_recipes_reject_unknown_flags_keys_and_missing_data_before_loading_a_model(tmp_path):
    line = one_line(run("recipes/sft.py", "--config", "recipes/tiny/sft.yaml", "--bogus_flag", "1"))
    assert "--bogus_flag" in line
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_name_or_path: runs/tiny/model\nbogus_key: 1\n")
    assert "bogus_key" in one_line(run("recipes/sft.py", "--config", str(bad)))
    t0 = time.monotonic()
    line = one_line(
        run(
            "recipes/sft.py",
            "--config",
            "recipes/tiny/sft.yaml",
            "--model_name_or_path",
            str(tmp_path / "no-model-built-here"),
            "--dataset_name",
            str(tmp_path / "missing.jsonl"),
        )
    )
    assert "dataset_name" in line and "missing.jsonl does not exist" in line
    assert not (tmp_path / "no-model-built-here").exists() and time.monotonic() - t0 < 120
    line = one_line(
        run(
            "recipes/grpo.py",
            "--config",
            "recipes/tiny/grpo.yaml",
            "--model_name_or_path",
            str(tmp_path / "nothing"),
            "--dataset_name",
            str(tmp_path / "missing_rl.jsonl"),
        )
    )
    assert "missing_rl.jsonl does not exist" in line
