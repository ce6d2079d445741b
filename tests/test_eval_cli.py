"""``xcoder eval`` as a user runs it: ``--config run.yaml`` with flags on top, and user errors
(exit code 2, one line naming the file/key/flag, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from eval.cli import EVAL_FLAGS
from eval.runner import EvalConfig
from xcoder.cli_options import derive_flags

FIXTURE = Path(__file__).parent / "fixtures" / "lcb_mini"
ROOT = Path(__file__).resolve().parents[1]
SOL = json.loads((FIXTURE / "solutions.json").read_text())


def xcoder(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xcoder.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_documented_flag_names_still_exist():
    spelled = {
        d.split("/")[0]
        for f in derive_flags(EvalConfig, **{k: v for k, v in EVAL_FLAGS.items() if k != "panels"})
        for d in f.decls
    }
    documented = """--model --backend --samples --dataset --release --preset --start-date --end-date --platform
        --difficulty --exclude-errata --skip-bad-rows --question-id --limit --n --temperature --top-p --top-k
        --max-tokens --seed --system-prompt --chat-template-kwargs --batch-size --device --dtype
        --tensor-parallel-size --gpu-memory-utilization --max-model-len --base-url --api-key-env --max-concurrency
        --extract-mode --timeout --memory-mb --judge-workers --sandbox --output-dir --name --overwrite""".split()
    assert set(documented) <= spelled, set(documented) - spelled


def test_config_file_with_an_overriding_flag(tmp_path):
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        "".join(
            json.dumps({"question_id": q, "code_list": [s["correct"]] * 2 + [s["wrong"]] * 2}) + "\n"
            for q, s in SOL.items()
        )
    )
    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(
        yaml.safe_dump(
            {
                "dataset": {"dataset": str(FIXTURE), "preset": "v5", "difficulties": ["easy", "medium"]},
                "output_dir": str(tmp_path / "from-yaml"),
                "generation": {"backend": "samples", "samples_path": str(samples)},
                "sampling": {"n": 8},
                "judge": {"timeout": 5.0, "workers": 2},
                "name": "yaml-name",
            }
        )
    )
    out = tmp_path / "from-flags"
    proc = xcoder("eval", "--config", str(run_yaml), "--n", "4", "--output-dir", str(out), "--difficulty", "easy")
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "eval_results.json").read_text())
    assert not (tmp_path / "from-yaml").exists()
    assert res["n"] == 4 and res["name"] == "yaml-name"  # the flag overrode n; the file's name stayed
    assert res["config"]["judge"]["workers"] == 2 and res["config"]["judge"]["timeout"] == 5.0
    assert res["config"]["dataset"]["difficulties"] == ["easy"]
    assert res["selection"]["window"]["name"] == "v5"
    assert res["by_difficulty"]["medium"]["num_problems"] == 0 < res["overall"]["num_problems"]
    assert res["overall"]["avg@4"] == 0.5 and "| yaml-name |" in proc.stdout


def test_user_errors_are_one_line_with_exit_code_2(tmp_path):
    assert "--output-dir is required" in one_line_error(xcoder("eval", "--dataset", str(FIXTURE)))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"dataset": {"dataset": str(FIXTURE)}, "output_dir": str(tmp_path / "o"), "sampling": {"n": "eight"}}
        )
    )
    assert f"{bad}: sampling.n: expected an integer" in one_line_error(xcoder("eval", "--config", str(bad)))
    bad.write_text(
        yaml.safe_dump(
            {"dataset": {"dataset": str(FIXTURE)}, "output_dir": str(tmp_path / "o"), "judge": {"timeot": 1}}
        )
    )
    assert "judge: unknown key(s) ['timeot']" in one_line_error(xcoder("eval", "--config", str(bad)))
    common = ["--dataset", str(FIXTURE), "--output-dir", str(tmp_path / "o")]
    assert "n must be >= 1, got 0" in one_line_error(xcoder("eval", *common, "--n", "0"))
    assert "--chat-template-kwargs must be a JSON object" in one_line_error(
        xcoder("eval", *common, "--chat-template-kwargs", "[1]")
    )
    assert "sandbox must be one of" in one_line_error(xcoder("eval", *common, "--sandbox", "docker"))
    assert not (tmp_path / "o").exists()
