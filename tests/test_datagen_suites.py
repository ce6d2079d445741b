"""Trustworthy test suites (issue 15), end to end with the scripted server and the real judge:
multi-answer tasks get a self-tested checker that votes and travels with the RL rows; broken
programs are repaired; a wrong majority is caught by the brute-force cross-check; suites are
mutation-scored; statements copied from a benchmark are found; kill -9 then resume of the tests
stage repeats no request. Plus the pure parts (mutants, corruptions, trimming, balance, n-grams)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datagen_fake import BANK, MULTI, ScriptedModel, _py, ribbons_ok  # noqa: E402
from test_datagen_pipeline import config_dict, make_config  # noqa: E402

from data_gen.checks.decontam import BenchmarkIndex, words  # noqa: E402
from data_gen.checks.mutants import make_mutants  # noqa: E402
from data_gen.checks.suite import balance, corruptions, mutation_score, trim_suite  # noqa: E402
from data_gen.records import FeatureConfig, Provenance, TaskTestInputs, VerifiedTask  # noqa: E402
from data_gen.runner import run_stage, run_stages  # noqa: E402
from data_gen.storage import iter_raw, read_records, stage_summary, write_records  # noqa: E402
from xcoder.judge import Judge, JudgeConfig  # noqa: E402
from xcoder.llm import ResponseCache  # noqa: E402
from xcoder.llm.testing import FakeChatServer  # noqa: E402
from xcoder.problem import problem_from_row  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STAGES_FROM_TASKS = ["tasks", "solutions", "tests", "verify", "filter", "export"]


def _configs(features: list[str]) -> list[FeatureConfig]:
    return [
        FeatureConfig(
            id=f"cfg-{i:02d}", idx=i, features={"techniques": [f]}, leaf_count=1, provenance=Provenance("tree")
        )
        for i, f in enumerate(features)
    ]


def _majority_wrong(call):
    """Lantern tasks: two identical wrong samples outvote the right one (a consistently wrong majority)."""
    bank = BANK[0] if "lanterns" in call.last_user else MULTI
    if bank is BANK[0]:
        return (
            _py(bank.wrong) if call.choice_index < 2 else _py(bank.correct) if call.choice_index == 2 else "I'm sorry."
        )

    return ScriptedModel.solution(bank, call.choice_index)


@pytest.mark.slow
def test_checkers_repairs_cross_checks_and_decontamination_end_to_end(tmp_path):
    out = tmp_path / "run"
    lcb = tmp_path / "lcb.jsonl"
    copied = MULTI.answer["legend"].replace("There are $n$ ribbons", "We have $n$ ribbons   in a box")
    lcb.write_text(
        json.dumps(
            {
                "question_id": "abc001_a",
                "question_title": "Ribbons",
                "question_content": copied + " " + MULTI.answer["output_format"],
            }
        )
        + "\n"
        + json.dumps(
            {
                "question_id": "abc002_b",
                "question_title": "Lanterns",
                "question_content": "Given lanterns in a row, count how many are lit after "
                "every switch is flipped twice.",
            }
        )
        + "\n"
    )
    model = ScriptedModel({"solution": _majority_wrong})
    with FakeChatServer(model) as server:
        config = make_config(
            server.url,
            out,
            tasks={"styles": {"codeforces": 1.0}},
            filter={"min_tests": 4, "decontaminate": {"against": [str(lcb)], "action": "flag"}},
        )
        write_records(out, "tree", _configs(["any valid pair", "prefix maxima"]), writer="test")
        summaries = {s.stage: s for s in run_stages(config, STAGES_FROM_TASKS, progress=False)}

    # tests: the multi-answer task's generator (crashing) and checker (accepting anything) were repaired.
    tests = {t.task_id: t for t in read_records(out, "tests", TaskTestInputs)}
    assert summaries["tests"].notes["generator:repaired"] == 1 and summaries["tests"].notes["checker:repaired"] == 1
    multi = next(t for t in tests.values() if any(p.role == "checker" for p in t.programs))
    checker = next(p for p in multi.programs if p.role == "checker")
    assert checker.repairs == 1 and not checker.error and checker.code.strip() == MULTI.checker.strip()
    assert [p.role for p in multi.programs] == ["generator", "validator", "checker", "brute_force"]

    # verify: the wrong majority on the lantern task disagrees with the brute-force solver and is dropped.
    verify = summaries["verify"]
    assert verify.kept == 1 and verify.dropped == {"cross_check:disagrees": 1}
    assert verify.notes["cross_check:disagree"] > 0 and verify.notes["cross_check:tests"] > 0
    (vt,) = read_records(out, "verify", VerifiedTask)
    assert (
        vt.task.multi_answer and vt.checker == MULTI.checker.strip("\n") or vt.checker.strip() == MULTI.checker.strip()
    )
    # The two right candidates print different valid pairs; grouped by the checker they win every vote.
    assert all(ribbons_ok(t.input, t.output) for t in vt.tests)
    assert vt.pass_rate == pytest.approx(2 / 3, abs=1e-3)
    assert vt.checks["cross_check"]["tests"] > 0 and vt.checks["cross_check"]["disagree"] == 0
    assert vt.checks["mutation_score"] >= 0.9 and vt.checks["mutants"] > 0
    assert 1.0 <= vt.time_limit <= 6.0

    # filter: the statement copied (lightly edited) into the benchmark file is flagged and listed.
    report = [json.loads(line) for line in (out / "filter" / "decontamination.jsonl").read_text().splitlines()]
    assert [(r["task_id"], r["benchmark_id"]) for r in report] == [(vt.task.id, "abc001_a")]
    (kept,) = read_records(out, "filter", VerifiedTask)
    assert "contaminated" in kept.checks["flags"]

    # export: the checker travels with the RL row; the judge accepts another valid answer, rejects the wrong one.
    (row,) = [json.loads(line) for line in (out / "export" / "rl.jsonl").read_text().splitlines()]
    assert row["checker"] == vt.checker and "contaminated" in row["flags"] and row["time_limit"] == vt.time_limit
    problem = problem_from_row(row)
    assert problem.checker == vt.checker
    with Judge(JudgeConfig(workers=1)) as judge:
        assert judge.judge(problem, MULTI.alt).accepted and judge.judge(problem, MULTI.correct).accepted
        assert not judge.judge(problem, MULTI.wrong).accepted
    card = (out / "export" / "README.md").read_text()
    assert "## Test-suite checks" in card and "| verify | cross_check:disagree |" in card


def test_a_multi_answer_task_without_a_trusted_checker_is_dropped(tmp_path):
    never = lambda call: _py("def check(input, output, reference):\n    return True\n")  # noqa: E731
    with FakeChatServer(ScriptedModel({"# Test design: output checker program": never})) as server:
        config = make_config(server.url, tmp_path, tasks={"styles": {"codeforces": 1.0}}, tests={"repair_rounds": 1})
        write_records(tmp_path, "tree", _configs(["any valid pair"]), writer="test")
        run_stage(config, "tasks", progress=False)
        summary = run_stage(config, "tests", progress=False)
    assert summary.dropped == {"checker:untrusted": 1}


KILL = {
    "flush_every": 1,
    "flush_seconds": 0.05,
    "item_concurrency": 2,
    "llm": {"max_concurrency": 2},
    "tasks": {"styles": {"codeforces": 1.0}},
    "tests": {"generator": False},
}


@pytest.mark.slow
def test_kill_9_in_the_tests_stage_then_resume_repeats_no_request(tmp_path):
    features = ["any valid pair" if i % 2 else f"scan {i}" for i in range(8)]
    with FakeChatServer(ScriptedModel(), latency=0.05) as server:
        out = tmp_path / "killed"
        data = config_dict(server.url, out, **KILL)
        cfg = tmp_path / "gen.yaml"
        cfg.write_text(yaml.safe_dump(data))
        write_records(out, "tree", _configs(features), writer="test")
        run_stage(make_config(server.url, out, **KILL), "tasks", progress=False)
        server.reset()
        proc = subprocess.Popen(
            [sys.executable, "-m", "xcoder.cli", "gen", "tests", "--config", str(cfg), "--no-progress"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 120
        while (
            proc.poll() is None and time.monotonic() < deadline and not list((out / "tests").glob("part-*.done.json"))
        ):
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        committed = len(list(iter_raw(out, "tests")))
        assert 0 < committed < 8, "kill the run mid-stage, after some items were committed"
        with ResponseCache(out / "llm_cache.sqlite") as cache:
            answered = {json.dumps([r["messages"], r["seed"]]) for _, r, _ in cache.entries()}

        server.reset()
        summary = run_stage(config_from(data), "tests", progress=False)
        resent = [json.dumps([b["messages"], b["seed"]]) for b in server.chat_bodies()]
        assert not set(resent) & answered, "a request answered before the kill was sent again"

        reference = tmp_path / "reference"
        write_records(reference, "tree", _configs(features), writer="test")
        ref_cfg = make_config(server.url, reference, **KILL)
        run_stage(ref_cfg, "tasks", progress=False)
        run_stage(ref_cfg, "tests", progress=False)
    rows = {r["id"]: r for _, r in iter_raw(out, "tests")}
    assert len(rows) == summary.kept == 8 and rows == {r["id"]: r for _, r in iter_raw(reference, "tests")}
    assert stage_summary(out, "tests").notes == stage_summary(reference, "tests").notes


def config_from(data):
    from data_gen.config import config_from_dict

    return config_from_dict(data)


# ------------------------------------------------------------------------------------------------
# The pure parts


def test_mutants_are_single_changes_of_three_kinds_and_reproducible():
    code = (
        "n = int(input())\ntotal = 0\nfor i in range(1, n):\n    if i % 3 == 0 or i < 2:\n"
        "        total += max(i, 2)\nprint(total)\n"
    )
    mutants = make_mutants(code, 100, seed=1)
    assert {m.kind for m in mutants} == {"operator", "constant", "boundary"}
    assert len({m.code for m in mutants}) == len(mutants) and all(m.code != code for m in mutants)
    assert [m.code for m in make_mutants(code, 5, seed=1)] == [m.code for m in mutants[:5]]
    assert any("range(1, n + 1)" in m.code for m in mutants) and any("<=" in m.code for m in mutants)
    assert make_mutants("def f(:\n", 5) == []


def test_corruptions_change_numbers_counts_and_format():
    assert corruptions("3\n1 2 3\n", False) == ["4\n1 2 3\n", "3\n1 2\n", "3\n1 2 3 3\n", "not an answer\n"]
    assert set(corruptions("[1, 2]", True)) >= {"[1]", "[2, 2]", "[1, 2, 2]"}
    assert corruptions("true", True)[0] == "false" and all(c.strip() != "7" for c in corruptions("7\n", False))


def test_trimming_keeps_every_rejection_and_balance_measures_dominance():
    kills = [{0, 3}, {3}, {1}, set()]
    chosen = trim_suite(kills, 6, keep={5}, min_tests=3)
    assert all(k & set(chosen) for k in kills if k) and 5 in chosen and len(chosen) == 3
    assert (
        mutation_score([True, True, False], [True, False, False]) == 0.5 and mutation_score([False], [False]) is None
    )
    outs = ["No", "No", "No", "Yes", "no"]
    share, constant = balance(outs, lambda j, o: o.lower() == outs[j].lower())
    assert share == 0.6 and constant == 0.8


def test_ngram_overlap_sees_through_light_edits_but_not_same_domain_problems():
    statement = (
        "Alice has an array of integers and wants to split it into two non-empty contiguous parts such that "
        "the sum of the left part equals the sum of the right part. Count the number of ways to choose the "
        "split position. Example: for n = 4 and a = [1, 2, 1, 2] the answer is 1."
    )
    index = BenchmarkIndex(n=8, threshold=0.3)
    index.add("lcb.jsonl", "q1", statement)
    index.add(
        "lcb.jsonl",
        "q2",
        "Bob is given a string of lowercase letters and must find the length of the "
        "longest substring without repeating characters, reporting it modulo nothing.",
    )
    edited = (
        "Our heroine holds a sequence of numbers.   Alice has an array of integers and wants to split it into two "
        "non-empty contiguous parts such that the sum of the left part equals the sum of the right part. Count "
        "the number of ways to choose the split position. Example: for m = 5 and b = [3, 1, 1, 1, 2] ..."
    )
    match = index.match(edited)
    assert match is not None and match.benchmark_id == "q1"
    related = (
        "Given an array of integers, find the maximum sum of a contiguous subarray whose length is at most k. "
        "Print the sum; the array may contain negative numbers, and the subarray must be non-empty."
    )
    assert index.match(related) is None
    assert words("Let $a_i$ be 10^9") == ["let", "be"]


def test_decontaminate_command_reads_lcb_humaneval_and_mbpp(tmp_path):
    humaneval = tmp_path / "HumanEval.jsonl.gz"
    he_prompt = (
        'def below_zero(operations: List[int]) -> bool:\n    """ You are given a list of deposit and withdrawal '
        "operations on a bank account that starts with zero balance. Your task is to detect if at any point "
        'the balance of account falls below zero, and at that point function should return True."""\n'
    )
    with gzip.open(humaneval, "wt") as fh:
        fh.write(
            json.dumps(
                {
                    "task_id": "HumanEval/3",
                    "prompt": he_prompt,
                    "canonical_solution": "",
                    "test": "",
                    "entry_point": "below_zero",
                }
            )
            + "\n"
        )
    mbpp = tmp_path / "mbpp.jsonl"
    mbpp.write_text(
        json.dumps(
            {
                "task_id": 2,
                "text": "Write a function to find the shared elements from the given two lists.",
                "code": "",
                "test_list": [],
                "test_setup_code": "",
            }
        )
        + "\n"
    )
    lcb = tmp_path / "lcb.jsonl"
    lcb.write_text(
        json.dumps(
            {
                "question_id": "1873_A",
                "question_title": "Short Sort",
                "question_content": "There are three cards with letters a, b, c placed in a row in "
                "some order. You can do the following operation at most once: pick "
                "two cards, and swap them. Is it possible that the row becomes abc "
                "after the operation?",
            }
        )
        + "\n"
    )
    data = tmp_path / "data.jsonl"
    rows = [
        {
            "id": "copy-he",
            "prompt": [
                {"role": "user", "content": he_prompt.replace("    ", "  ").replace("You are given", "Here is")}
            ],
        },
        {"id": "unrelated", "question": "Compute the number of inversions of a permutation of length n."},
        {"question_content": "Write a function to find the shared elements from the given two lists!"},
        {
            "messages": [
                {
                    "role": "user",
                    "content": "Three cards with letters a, b, c are placed in a row in some "
                    "order. You can do the following operation at most once: pick two cards, and swap them. Is it "
                    "possible that the row becomes abc after the operation?",
                }
            ]
        },
        {"no_text": 1},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = tmp_path / "report.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "xcoder.cli",
            "gen",
            "decontaminate",
            "--data",
            str(data),
            "--against",
            str(lcb),
            "--against",
            str(humaneval),
            "--against",
            str(mbpp),
            "--out",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    flagged = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["line"], r["id"], r["benchmark_id"]) for r in flagged] == [
        (1, "copy-he", "HumanEval/3"),
        (3, None, "2"),
        (4, None, "1873_A"),
    ]
    assert all(r["overlap"] >= 0.3 for r in flagged)
    assert "3 of 5 rows" in proc.stderr and "1 without text" in proc.stderr
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "xcoder.cli",
            "gen",
            "decontaminate",
            "--data",
            str(data),
            "--against",
            str(tmp_path / "missing.jsonl"),
            "--out",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: --against")
