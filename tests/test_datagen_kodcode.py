"""The KodCode mode of ``xcoder gen`` end to end: questions from seeds, self-verification in the real
judge with retries, rewriting into the other style, reject sampling and export, against the real
local chat-completions server answering like a model (``tests/kodcode_fake.py``); the export read
back by the problem, SFT and GRPO loaders and a reward. Also: ``kill -9`` mid-run, then resume,
sends no answered request again and ends with the records of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kodcode_fake import BANK, KodScriptedModel, bank_for, outcome  # noqa: E402

from data_gen.config import KODCODE_STAGES, config_from_dict  # noqa: E402
from data_gen.kodcode_records import KodQuestion, KodSamples, KodTriplet  # noqa: E402
from data_gen.runner import run_stages  # noqa: E402
from data_gen.storage import iter_raw, read_records, stage_status  # noqa: E402
from xcoder.hashing import derive_seed  # noqa: E402
from xcoder.kodcode import difficulty_label  # noqa: E402
from xcoder.llm import ResponseCache  # noqa: E402
from xcoder.llm.testing import FakeChatServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = {
    "ok": "accepted",
    "wrong": "wrong_answer",
    "hang": "time_limit",
    "missing_module": "judge_error",
    "no_tests": "judge_error",
    "unparsable": "judge_error",
}
MESSAGES = {
    "hang": "while collecting the tests",
    "missing_module": "no_such_module_xyz",
    "no_tests": "no tests",
    "unparsable": "does not parse",
}


def write_seeds(path: Path, copies: int) -> Path:
    path.write_text(
        "".join(json.dumps({"id": f"seed-{b.key}-{i}", "code": b.snippet}) + "\n" for i in range(copies) for b in BANK)
    )
    return path


def config_dict(url: str, out: Path, seeds: Path, **extra) -> dict:
    data = {
        "mode": "kodcode",
        "output_dir": str(out),
        "random_seed": 4,
        "llm": {
            "base_url": url,
            "model": "fake-model",
            "max_concurrency": 8,
            "backoff_base": 0.01,
            "max_retries": 2,
            "endpoint_cooldown": 0.01,
        },
        "seeds": {"path": str(seeds)},
        "judge": {"workers": 2, "test_file_timeout": 3},
        "kodcode": {
            "questions": {"styles": {"instruct": 0.5, "complete": 0.5}},
            "self_verify": {"min_attempts": 2, "max_attempts": 4},
        },
    }
    data.update(extra)
    return data


def expected_attempts(question: KodQuestion, seed: int, cfg) -> list[str]:
    """The outcomes the scripted model gives this question's attempts, as the stage should stop."""
    bank = bank_for(question.question)
    outcomes = []
    for k in range(cfg.max_attempts):
        if k >= cfg.min_attempts and "ok" in outcomes:
            break
        outcomes.append(outcome(bank, derive_seed(seed, "kodcode_self_verify", question.id, "attempt", k)))
    return outcomes


@pytest.mark.slow
def test_kodcode_mode_end_to_end_and_the_loaders_read_its_export(tmp_path):
    out = tmp_path / "run"
    seeds = write_seeds(tmp_path / "seeds.jsonl", 2)
    with FakeChatServer(KodScriptedModel()) as server:
        config = config_from_dict(config_dict(server.url, out, seeds))
        summaries = run_stages(config, config.stages, progress=False)
        assert [s.stage for s in summaries] == list(KODCODE_STAGES)
        assert all(stage_status(out, s)[0] for s in KODCODE_STAGES)
        server.reset()
        again = run_stages(config, config.stages, progress=False)  # a finished run is free
        assert server.request_count == 0 and all(s.new_items == 0 for s in again)
    by_stage = {s.stage: s for s in summaries}

    questions = read_records(out, "kodcode_questions", KodQuestion)
    assert len(questions) == 8 and {q.style for q in questions} == {"instruct", "complete"}
    assert all(
        q.id.startswith("Snippet_") and q.id.endswith("_I" if q.style == "instruct" else "_C") for q in questions
    )
    assert all(q.question.startswith("def ") for q in questions if q.style == "complete")

    # Self-verification: every attempt is what the model sent, judged; retries stop at the first pass.
    cfg = config.kodcode.self_verify
    verified = {t.id: t for t in read_records(out, "kodcode_self_verify", KodTriplet)}
    unverified, seen = 0, set()
    for question in questions:
        want = expected_attempts(question, config.random_seed, cfg)
        if "ok" not in want:
            unverified += 1
            assert question.id not in verified
            continue
        triplet = verified[question.id]
        assert [VERDICTS[w] for w in want] == [a.verdict for a in triplet.attempts]
        for kind, attempt in zip(want, triplet.attempts):  # bad test files and hangs: named, never stalled
            assert MESSAGES.get(kind, "") in attempt.message, (kind, attempt.message)
            if VERDICTS[kind] == "judge_error":
                assert question.id in attempt.message
        seen.update(want)
        assert triplet.pass_sequence == [int(w == "ok") for w in want]
        assert triplet.difficulty == difficulty_label(triplet.pass_sequence)
        chosen = triplet.attempts[triplet.chosen_attempt]
        assert chosen.passed and triplet.solution == chosen.solution and triplet.test == chosen.test
        assert triplet.test_info[0]["function_name"] == bank_for(question.question).key
    assert unverified >= 2  # digit_sum's tests import a module the sandbox lacks: never verified
    assert by_stage["kodcode_self_verify"].dropped == Counter({"unverified": unverified})
    assert seen == {"ok", "wrong", "hang", "no_tests", "unparsable"}  # with random_seed 4, every case occurs

    # Rewriting: the other style, same solution and tests; a stub leaking the implementation is dropped.
    rewritten = {t.id: t for t in read_records(out, "kodcode_rewrite", KodTriplet)}
    leaks = sum(1 for t in verified.values() if t.style == "instruct" and bank_for(t.question).bad_stub)
    assert by_stage["kodcode_rewrite"].dropped == (
        Counter({"rewrite:stub_has_implementation": leaks}) if leaks else Counter()
    )
    assert len(rewritten) == len(verified) - leaks
    for r in rewritten.values():
        source = verified[r.rewritten_from]
        assert r.style != source.style and r.id[:-2] == source.id[:-2]
        assert (r.solution, r.test, r.pass_sequence, r.difficulty) == (
            source.solution,
            source.test,
            source.pass_sequence,
            source.difficulty,
        )
        if r.style == "complete":
            assert r.original_instruction == source.question and r.question.startswith("def ")
    triplets = {**verified, **rewritten}

    # Reject sampling: answers 0 (renamed function, fixed) and 2 pass; 1 is wrong.
    samples = read_records(out, "kodcode_reject_sampling", KodSamples)
    assert sorted(s.question_id for s in samples) == sorted(triplets)
    assert all(s.pass_sequence == [1, 0, 1] for s in samples)

    export = out / "kodcode_export"
    for name in ("kodcode_v1", "kodcode_v1_sft", "sft", "rl"):
        assert (export / f"{name}.jsonl").is_file() and (export / f"{name}.parquet").is_file(), name
    card = (export / "README.md").read_text()
    assert "config_name: kodcode_v1" in card and "| kodcode_self_verify | unverified |" in card
    check_export(export, triplets)


def check_export(export: Path, triplets: dict) -> None:
    import datasets

    from rewards import get_reward_funcs
    from xcoder.judge import Judge, JudgeConfig
    from xcoder.problem import load_problems
    from xcoder.train.grpo import to_rl_dataset
    from xcoder.train.sft import detect_layout, load_source, to_sft_format

    kodcode_v1 = [json.loads(line) for line in (export / "kodcode_v1.jsonl").read_text().splitlines()]
    assert len(kodcode_v1) == len(triplets)
    assert set(kodcode_v1[0]) >= {
        "version",
        "style",
        "subset",
        "question_id",
        "question",
        "solution",
        "test",
        "test_info",
        "gpt_pass_sequence",
        "gpt_pass_trial_num",
        "gpt_difficulty",
        "gpt_pass_percentage",
        "trials",
        "chosen_trial",
        "metadata",
    }
    for path in (export / "kodcode_v1.jsonl", export / "kodcode_v1.parquet"):
        problems, errors = load_problems(path)
        assert errors == [] and sorted(problems) == sorted(triplets)
    with Judge(JudgeConfig(workers=2)) as judge:
        results = judge.judge_batch([(p, p.metadata["solution"]) for p in problems.values()])
    assert all(r.accepted for r in results)

    sft = load_source(str(export / "sft.parquet"), split="train")
    assert detect_layout(sft.column_names, "sft") == "messages" and len(sft) == len(triplets)
    first = sft[0]["messages"]
    assert first[-1]["content"].startswith("<think>\nCheck the examples first.\n</think>")
    release = load_source(str(export / "kodcode_v1_sft.jsonl"), split="train")
    assert detect_layout(release.column_names, "release") == "kodcode"
    converted = to_sft_format(release, "messages", "release", kodcode_keep_think=False)
    assert len(converted) == len(triplets) and "<think>" not in json.dumps(converted[0]["messages"])

    rl = load_source(str(export / "rl.parquet"), split="train")
    rows, layout, dropped = to_rl_dataset(rl, "auto", "rl", None)
    assert (layout, dropped, len(rows)) == ("rl", 0, len(triplets))
    from_release, layout, _ = to_rl_dataset(
        datasets.load_dataset("parquet", data_files=str(export / "kodcode_v1.parquet"), split="train"),
        "auto",
        "v1",
        None,
    )
    assert layout == "kodcode" and sorted(from_release["question_id"]) == sorted(rows["question_id"])
    (pass_rate,) = get_reward_funcs(["pass_rate"], judge={"workers": 2})
    completions = [
        [{"role": "assistant", "content": f"```python\n{triplets[q].solution}```"}] for q in rows["question_id"]
    ]
    assert pass_rate(
        completions=completions,
        prompts=rows["prompt"],
        test_file=rows["test_file"],
        input_output=rows["input_output"],
        question_id=rows["question_id"],
    ) == [1.0] * len(rows)


def test_gen_run_picks_the_mode_from_the_config_and_rejects_bad_keys(tmp_path):
    from typer.testing import CliRunner

    from xcoder.cli import app

    cfg = tmp_path / "kod.yaml"
    data = config_dict("http://127.0.0.1:9/v1", tmp_path / "run", write_seeds(tmp_path / "s.jsonl", 1))
    cfg.write_text(yaml.safe_dump(data))
    runner = CliRunner()
    result = runner.invoke(app, ["gen", "status", "--config", str(cfg)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "kodcode_self_verify" in result.output and "features" not in result.output
    result = runner.invoke(app, ["gen", "run", "--config", str(cfg), "--stages", "tasks"])
    assert result.exit_code == 2 and "unknown stage(s) ['tasks']" in result.output
    data["kodcode"]["self_verify"]["max_attempts"] = 1
    cfg.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["gen", "run", "--config", str(cfg)])
    assert result.exit_code == 2 and "min_attempts <= max_attempts" in result.output
    from data_gen.config import load_config

    assert load_config(ROOT / "recipes/data_gen/kodcode.yaml").stages == KODCODE_STAGES


def test_kill_9_mid_run_then_resume_repeats_no_request(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.jsonl", 3)
    extra = {
        "flush_every": 2,
        "flush_seconds": 0.2,
        "item_concurrency": 3,
        "kodcode": {
            "questions": {"styles": {"instruct": 1.0}},
            "self_verify": {"min_attempts": 1, "max_attempts": 2},
            "reject_sampling": {"enabled": False},
            "rewrite": {"enabled": False},
        },
    }
    with FakeChatServer(KodScriptedModel(), latency=0.05) as server:
        out = tmp_path / "killed"
        data = config_dict(server.url, out, seeds, **extra)
        cfg = tmp_path / "kod.yaml"
        cfg.write_text(yaml.safe_dump(data))
        proc = subprocess.Popen(
            [sys.executable, "-m", "xcoder.cli", "gen", "run", "-c", str(cfg), "--no-progress"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 120
        verify_dir = out / "kodcode_self_verify"
        while proc.poll() is None and time.monotonic() < deadline and not list(verify_dir.glob("part-*.done.json")):
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not stage_status(out, "kodcode_self_verify")[0], "kill the run mid-stage"
        with ResponseCache(out / "llm_cache.sqlite") as cache:
            answered = {json.dumps([request["messages"], request["seed"]]) for _, request, _ in cache.entries()}
        assert answered

        server.reset()
        config = config_from_dict(data)
        run_stages(config, config.stages, progress=False)
        resent = [json.dumps([body["messages"], body["seed"]]) for body in server.chat_bodies()]
        assert not set(resent) & answered, "a request answered before the kill was sent again"
        assert len(resent) == len(set(resent))

        reference = config_from_dict(config_dict(server.url, tmp_path / "reference", seeds, **extra))
        run_stages(reference, reference.stages, progress=False)

    for stage in ("kodcode_questions", "kodcode_self_verify"):
        rows = [row for _, row in iter_raw(out, stage)]
        assert len(rows) == len({r["id"] for r in rows}), f"{stage}: doubled records"
        expected = {r["id"]: r for _, r in iter_raw(reference.output_dir, stage)}
        assert {r["id"]: r for r in rows} == expected, f"{stage}: lost or changed records"
    assert (out / "kodcode_export" / "kodcode_v1.jsonl").read_text() == (
        tmp_path / "reference" / "kodcode_export" / "kodcode_v1.jsonl"
    ).read_text()
