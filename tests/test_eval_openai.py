"""The ``openai`` backend against a real local HTTP server (xcoder.llm.testing.FakeChatServer),
including a kill -9 in the middle of an eval and the resumed run giving identical results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eval.dataset import DatasetConfig
from eval.generate import GenerationConfig, GenerationError, SamplingConfig
from eval.runner import EvalConfig, run_eval
from xcoder.hashing import seed_from_text
from xcoder.judge import JudgeConfig
from xcoder.llm.testing import FakeChatServer, HTTPError, Reply
from xcoder.problem import load_problems
from xcoder.prompts import build_messages

FIXTURE = Path(__file__).parent / "fixtures" / "lcb_mini"
ROOT = Path(__file__).resolve().parents[1]
SOL = json.loads((FIXTURE / "solutions.json").read_text())
PROBLEMS = {**load_problems(FIXTURE / "test.jsonl")[0], **load_problems(FIXTURE / "test2.jsonl")[0]}


def qid_of(prompt: str) -> str:
    return next(q for q, p in PROBLEMS.items() if p.question_content.strip() in prompt)


def seeded_solver(call) -> Reply:
    """Deterministic 'model': right when the request's seed is even, else wrong; with reasoning."""
    qid = qid_of(call.last_user)
    code = SOL[qid]["correct" if call.body["seed"] % 2 == 0 else "wrong"]
    return Reply(f"<think>let me think about {qid}</think>\nSolution:\n```python\n{code}```\n", reasoning=None)


def expected_graded(bodies) -> dict[str, list[bool]]:
    """What the run must report, from the requests the server actually saw."""
    out: dict[str, list[bool]] = {}
    for b in bodies:
        out.setdefault(qid_of(b["messages"][-1]["content"]), []).append(b["seed"] % 2 == 0)
    return out


def cfg(tmp_path: Path, url: str, out: str = "out", n: int = 4, preset: str | None = "v6", **gen) -> EvalConfig:
    return EvalConfig(
        dataset=DatasetConfig(str(FIXTURE), preset=preset),
        output_dir=str(tmp_path / out),
        generation=GenerationConfig(backend="openai", model="fake-model", base_url=url, max_concurrency=4, **gen),
        sampling=SamplingConfig(n=n, max_tokens=512),
        judge=JudgeConfig(timeout=5.0, workers=2),
    )


def test_openai_backend_requests_scores_and_cache(tmp_path):
    with FakeChatServer(seeded_solver) as server:
        res = run_eval(cfg(tmp_path, server.url))
        bodies = server.chat_bodies()
        assert len(bodies) == 12  # v6 window: 3 problems x n=4, one request per sample
        seeds = {b["seed"] for b in bodies}
        assert len(seeds) == 12  # every sample has its own seed
        b = bodies[0]
        assert (b["temperature"], b["top_p"], b["max_tokens"], b["model"]) == (0.6, 0.95, 512, "fake-model")
        assert "n" not in b or b["n"] == 1
        qid = qid_of(b["messages"][-1]["content"])
        assert b["messages"] == build_messages(PROBLEMS[qid])

        rows = {
            r["question_id"]: r for r in map(json.loads, (tmp_path / "out" / "samples.jsonl").read_text().splitlines())
        }
        want = expected_graded(bodies)
        for q, graded in want.items():
            assert sorted(rows[q]["graded_list"]) == sorted(graded)
        correct = sum(sum(g) for g in want.values())
        assert res["overall"]["avg@4"] == pytest.approx(sum(sum(g) / 4 for g in want.values()) / 3)
        assert res["verdicts"].get("accepted", 0) == correct
        assert res["verdicts"].get("wrong_answer", 0) == 12 - correct
        assert "<think>" not in rows[q]["code_list"][0] and rows[q]["output_list"][0].startswith("<think>")

        server.reset()
        again = run_eval(cfg(tmp_path, server.url))
        assert server.request_count == 0  # everything came from the generation cache
        assert again["overall"] == res["overall"]


def test_sample_seeds_are_those_of_earlier_releases():
    """Seeds must not change (cached runs and the demo's figures depend on them): the values below were
    computed with the former eval.generate.derive_seed, sha256 of "seed:question_id:sample"."""
    from eval.generate import Job, OpenAIBackend

    assert seed_from_text("1234:abc337_e:7") == 1189937827
    with FakeChatServer(seeded_solver) as server:
        backend = OpenAIBackend(
            GenerationConfig(backend="openai", model="fake-model", base_url=server.url),
            SamplingConfig(n=2, seed=0, max_tokens=64),
        )
        backend.generate([Job(PROBLEMS["fx001"], [0, 1])], lambda g: None)
        assert sorted(b["seed"] for b in server.chat_bodies()) == [511883940, 947632363]


def test_refused_prompt_is_a_recorded_failure(tmp_path):
    def solver(call):
        if qid_of(call.last_user) == "fx006":
            raise HTTPError(400, "prompt is too long for this model")
        return seeded_solver(call)

    with FakeChatServer(solver) as server:
        res = run_eval(cfg(tmp_path, server.url))
    assert res["verdicts"]["generation_error"] == 4
    row = next(
        r
        for r in map(json.loads, (tmp_path / "out" / "samples.jsonl").read_text().splitlines())
        if r["question_id"] == "fx006"
    )
    assert row["graded_list"] == [False] * 4


def test_unreachable_samples_are_left_for_a_rerun(tmp_path):
    def flaky(call):
        if qid_of(call.last_user) == "fx006":
            raise HTTPError(503, "overloaded")
        return seeded_solver(call)

    with FakeChatServer(flaky) as server:
        with pytest.raises(GenerationError, match="4 sample\\(s\\) could not be generated.*rerun"):
            run_eval(cfg(tmp_path, server.url, max_retries=0))
        cached = (tmp_path / "out" / "generations.jsonl").read_text().splitlines()
        assert len(cached) == 8 and not any('"fx006"' in line for line in cached)
        server.responder = seeded_solver
        server.reset()
        res = run_eval(cfg(tmp_path, server.url, max_retries=0))
        assert server.request_count == 4  # only the missing problem's samples
        assert {qid_of(b["messages"][-1]["content"]) for b in server.chat_bodies()} == {"fx006"}
        assert res["overall"]["num_problems"] == 3 and "generation_error" not in res["verdicts"]


def _cli(url: str, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "xcoder.cli",
        "eval",
        "--model",
        "fake-model",
        "--backend",
        "openai",
        "--base-url",
        url,
        "--dataset",
        str(FIXTURE),
        "--n",
        "4",
        "--max-tokens",
        "256",
        "--max-concurrency",
        "2",
        "--judge-workers",
        "2",
        "--output-dir",
        str(out),
    ]


@pytest.mark.slow
def test_killed_eval_resumes_with_identical_results(tmp_path):
    with FakeChatServer(seeded_solver, latency=0.15) as server:
        full = subprocess.run(
            _cli(server.url, tmp_path / "full"), cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert full.returncode == 0, full.stderr
        server.reset()

        proc = subprocess.Popen(
            _cli(server.url, tmp_path / "killed"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        cache = tmp_path / "killed" / "generations.jsonl"
        deadline = time.time() + 120
        while time.time() < deadline and (not cache.exists() or len(cache.read_text().splitlines()) < 10):
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        done_before = len(cache.read_text().splitlines())
        assert 10 <= done_before < 32, "the kill should land mid-generation"
        assert not (tmp_path / "killed" / "eval_results.json").exists()

        resumed = subprocess.run(
            _cli(server.url, tmp_path / "killed"), cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert resumed.returncode == 0, resumed.stderr
        # Only what was lost is asked again: at most the in-flight requests are repeated.
        assert server.request_count <= 32 + 2
    a = json.loads((tmp_path / "full" / "eval_results.json").read_text())
    b = json.loads((tmp_path / "killed" / "eval_results.json").read_text())
    for key in ("overall", "by_difficulty", "by_platform", "verdicts"):
        assert a[key] == b[key]
    rows = lambda d: sorted((tmp_path / d / "samples.jsonl").read_text().splitlines())  # noqa: E731
    assert rows("full") == rows("killed")
