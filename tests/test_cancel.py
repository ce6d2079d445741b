"""Stopping when told: real signals sent to real `xcoder` subprocesses (judge, eval, gen, pipeline).

The first SIGINT/SIGTERM stops new work, kills running programs, keeps what finished, says how to
resume and exits 130/143 within seconds; a second SIGINT exits at once; a rerun finishes the work.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.lcb_rows import lcb_row

ROOT = Path(__file__).resolve().parents[1]
SLOW_ADD = "import time\ntime.sleep(0.4)\na, b = map(int, input().split())\nprint(a + b)  # {i}"


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "xcoder.cli", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, seconds: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited early with {proc.returncode}: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def stop(proc: subprocess.Popen, sig: int = signal.SIGINT) -> tuple[int, str, float]:
    """Send ``sig``; the exit code, stderr and seconds it took to exit."""
    t0 = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err, time.monotonic() - t0


def judge_inputs(tmp_path: Path, n: int = 24) -> tuple[Path, Path]:
    problems, samples = tmp_path / "problems.jsonl", tmp_path / "samples.jsonl"
    problems.write_text(json.dumps(lcb_row("add", [("1 2\n", "3\n")])) + "\n")
    samples.write_text(
        json.dumps({"question_id": "add", "code_list": [SLOW_ADD.format(i=i) for i in range(n)]}) + "\n"
    )
    return problems, samples


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_judge_stops_keeps_finished_verdicts_and_resumes(tmp_path, sig, code):
    problems, samples = judge_inputs(tmp_path)
    out = tmp_path / "judged.jsonl"
    partial = tmp_path / "judged.jsonl.partial"
    args = [
        "judge",
        "--problems",
        str(problems),
        "--samples",
        str(samples),
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
    ]
    proc = start(*args)
    wait_for(lambda: lines(partial) >= 2, proc=proc)
    rc, err, took = stop(proc, sig)
    assert rc == code and took < 5, (rc, took, err)
    assert "Traceback" not in err and "kept in" in err and "--resume" in err, err
    kept = lines(partial)
    assert 2 <= kept < 24 and not out.exists()
    # a plain rerun refuses to throw the kept verdicts away; --resume judges only the rest
    again = subprocess.run([sys.executable, "-m", "xcoder.cli", *args], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = subprocess.run(
        [sys.executable, "-m", "xcoder.cli", *args, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {kept} of 24" in resumed.stderr
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["graded_list"] == [True] * 24 and not partial.exists()


def test_a_second_ctrl_c_exits_at_once(tmp_path):
    problems, samples = judge_inputs(tmp_path)
    proc = start(
        "judge",
        "--problems",
        str(problems),
        "--samples",
        str(samples),
        "--out",
        str(tmp_path / "o.jsonl"),
        "--workers",
        "1",
        "--quiet",
    )
    wait_for(lambda: lines(tmp_path / "o.jsonl.partial") >= 1, proc=proc)
    proc.send_signal(signal.SIGINT)
    rc, err, took = stop(proc, signal.SIGINT)
    assert rc == 130 and took < 5 and "Traceback" not in err, err


@pytest.mark.slow  # ~35 s on 2 shared cores: the rerun judges the whole fixture
def test_eval_stops_caches_verdicts_and_resumes(tmp_path):
    fixture = ROOT / "tests" / "fixtures" / "lcb_mini"
    solutions = json.loads((fixture / "solutions.json").read_text())
    slow = "import time\ntime.sleep(0.4)\n"
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        "".join(
            json.dumps({"question_id": q, "code_list": [slow + s["correct"] + f"\n# {i}" for i in range(6)]}) + "\n"
            for q, s in solutions.items()
        )
    )
    out = tmp_path / "run"
    args = [
        "eval",
        "--backend",
        "samples",
        "--samples",
        str(samples),
        "--dataset",
        str(fixture),
        "--output-dir",
        str(out),
        "--judge-workers",
        "2",
        "--timeout",
        "5",
    ]
    proc = start(*args)
    wait_for(lambda: lines(out / "verdicts.jsonl") >= 3, proc=proc)
    rc, err, took = stop(proc)
    assert rc == 130 and took < 5 and "Traceback" not in err, (rc, took, err)
    assert "verdicts cached in" in err and "rerun the same command" in err, err
    kept = lines(out / "verdicts.jsonl")
    assert kept >= 3 and not (out / "eval_results.json").exists()
    again = subprocess.run(
        [sys.executable, "-m", "xcoder.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    total = sum(len(r["code_list"]) for r in map(json.loads, samples.read_text().splitlines()))
    assert lines(out / "verdicts.jsonl") == total  # the kept verdicts were not judged twice


def test_gen_stops_commits_finished_items_and_resumes(tmp_path):
    import yaml

    from tests.datagen_fake import ScriptedModel
    from xcoder.llm.testing import FakeChatServer

    with FakeChatServer(ScriptedModel(), latency=0.5) as server:
        cfg = tmp_path / "gen.yaml"
        out = tmp_path / "run"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "output_dir": str(out),
                    "seeds": {"limit": 10},
                    "flush_every": 1,
                    "flush_seconds": 0.1,
                    "item_concurrency": 2,
                    "llm": {"base_url": server.url, "model": "fake-model", "max_concurrency": 2},
                }
            )
        )
        args = ["gen", "run", "--config", str(cfg), "--stages", "features", "--no-progress"]
        proc = start(*args)
        wait_for(lambda: len(list((out / "features").glob("part-*.done.json"))) >= 1, proc=proc)
        rc, err, took = stop(proc, signal.SIGTERM)
        assert rc == 143 and took < 5 and "Traceback" not in err, (rc, took, err)
        assert "committed" in err and "rerun the same command" in err, err
        manifest = json.loads((out / "features" / "manifest-000of001.json").read_text())
        assert not manifest["finished"] and 0 < manifest["items_done"] < 10
        sent = server.request_count
        again = subprocess.run(
            [sys.executable, "-m", "xcoder.cli", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert again.returncode == 0, again.stderr
        assert "features: 10 kept" in again.stdout
        assert server.request_count - sent <= 10 - manifest["items_done"] + 2  # committed items were not redone
