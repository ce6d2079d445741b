"""``xcoder pipeline`` from an installed wheel, outside any checkout: the recipe scripts and the tiny
base YAMLs come from the installed ``recipes`` package (package data), not from the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "xcoder", "data_gen", "rewards", "eval", "pipeline", "recipes")


def build_and_install(tmp_path: Path) -> Path:
    """Build the wheel from a copy of the sources (an in-tree build would leave build/ behind) and
    install it, without dependencies, into a folder of its own."""
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(
            ROOT / name, src / name, **({"ignore": ignore} if (ROOT / name).is_dir() else {})
        )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "whl"), str(src)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = (tmp_path / "whl").glob("xcoder-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return target


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_pipeline_runs_from_an_installed_wheel(tmp_path):
    target = build_and_install(tmp_path)
    for packaged in (
        "recipes/sft.py",
        "recipes/grpo.py",
        "recipes/tiny/sft.yaml",
        "recipes/tiny/grpo.yaml",
        "recipes/tiny/pipeline.yaml",
        "recipes/qwen2.5-coder-7b-instruct/sft.yaml",
        "pipeline/cli.py",
    ):
        assert (target / packaged).is_file(), packaged
    work = tmp_path / "work"  # no checkout here: nothing named recipes/ beside the config or in the cwd
    work.mkdir()
    out = work / "run"
    (work / "pipeline.yaml").write_text(
        yaml.safe_dump(
            {
                "output_dir": str(out),
                "procedural": {
                    "families": ["sum_mod", "gcd_all", "is_palindrome"],
                    "train_tasks": 12,
                    "holdout_tasks": 3,
                    "tests": {"small": 2, "medium": 1, "large": 1},
                },
                "model": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "num_kv_heads": 1},
                "sft": {
                    "args": {
                        "max_steps": 1,
                        "per_device_train_batch_size": 4,
                        "packing": False,
                        "padding_free": False,
                        "logging_steps": 1,
                    },
                    "threads": 1,
                },
                "judge": {"workers": 2},
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(target)}  # the venv's own site-packages supply the dependencies
    probe = "import pipeline, xcoder; print(pipeline.__file__, xcoder.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", probe], cwd=work, env=env, capture_output=True, text=True, check=True
    )
    assert all(p.startswith(str(target)) for p in where.stdout.split()), where.stdout
    res = subprocess.run(
        [sys.executable, "-m", "xcoder.cli", "pipeline", "-c", "pipeline.yaml", "--stages", "data,model,verify,sft"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-4000:]
    state = json.loads((out / "pipeline_state.json").read_text())["stages"]
    assert [s for s in state if state[s]["finished"]] == ["data", "model", "verify", "sft"]
    assert state["sft"]["info"]["steps"] == 1
    # The packaged recipe and base YAML ran.
    assert state["sft"]["info"]["recipe"] == str(target / "recipes" / "sft.py")
    assert state["sft"]["info"]["base_config"] == str(target / "recipes" / "tiny" / "sft.yaml")
    merged = yaml.safe_load((out / "configs" / "sft.yaml").read_text())
    assert merged["assistant_only_loss"] is True  # from the packaged recipes/tiny/sft.yaml
