"""SynthSmith end to end: every stage against the real local chat-completions server
(``xcoder.llm.testing.FakeChatServer``) answering like a model (``tests/datagen_fake.py``), the
real judge running every program, and real ``datasets``/SFT loaders reading the export.

Also: malformed/truncated answers, refusals, missing code blocks and HTTP errors are dropped with
their reasons counted; shards add up to a single run; ``kill -9`` mid-stage then resume sends no
completed request again and loses or doubles no record."""

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
from datagen_fake import BANK, ScriptedModel, _expected  # noqa: E402

from data_gen.config import STAGES, config_from_dict  # noqa: E402
from data_gen.records import (
    Example,
    FeatureConfig,
    FeatureSet,
    Provenance,
    Solution,
    Task,
    TaskTestInputs,  # noqa: E402
    TestInput,
    VerifiedTask,
)
from data_gen.runner import StageNotReady, run_stage, run_stages  # noqa: E402
from data_gen.storage import iter_raw, read_records, stage_status, stage_summary, write_records  # noqa: E402
from xcoder.judge import Judge, JudgeConfig  # noqa: E402
from xcoder.llm import ResponseCache  # noqa: E402
from xcoder.llm.testing import DropConnection, FakeChatServer, HTTPError, MalformedBody, Reply  # noqa: E402
from xcoder.problem import problem_from_row  # noqa: E402
from xcoder.prompts import build_messages  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def make_config(url: str, out: Path, **sections):
    return config_from_dict(config_dict(url, out, **sections))


def config_dict(url: str, out: Path, **sections) -> dict:
    data = {
        "output_dir": str(out),
        "random_seed": 3,
        "llm": {
            "base_url": url,
            "model": "fake-model",
            "max_concurrency": 8,
            "backoff_base": 0.01,
            "max_retries": 2,
            "endpoint_cooldown": 0.01,
        },
        "seeds": {"limit": 3},
        "judge": {"workers": 2},
        "tree": {"num_configs": 6, "min_leaf_count": 2},
        "tasks": {"styles": {"codeforces": 0.5, "leetcode": 0.3, "atcoder": 0.2}},
        "solutions": {"n": 6},
        "tests": {"llm_inputs": 4, "seeds_per_scale": 1, "validator": True},
        "filter": {"min_tests": 4},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


def bank_of(title: str):
    return next(b for b in BANK if b.title == title)


# ------------------------------------------------------------------------------------------------
# All nine stages


@pytest.mark.slow
def test_all_nine_stages_make_sft_and_rl_datasets_the_loaders_read(tmp_path):
    out = tmp_path / "run"
    model = ScriptedModel()
    with FakeChatServer(model) as server:
        config = make_config(server.url, out, filter={"proxy": {"enabled": True, "model": "proxy-model", "n": 2}})
        summaries = run_stages(config, progress=False)
        assert [s.stage for s in summaries] == list(STAGES)
        assert all(stage_status(out, s)[0] for s in STAGES)
        first_requests = server.request_count
        proxy_requests = [b for b in server.chat_bodies() if b["model"] == "proxy-model"]

        # A rerun of a finished pipeline is free: no request, no new record.
        server.reset()
        again = run_stages(config, progress=False)
        assert server.request_count == 0
        assert [(s.kept, s.dropped, s.new_items) for s in again] == [(s.kept, s.dropped, 0) for s in summaries]

    by_stage = {s.stage: s for s in summaries}
    assert by_stage["features"].kept == 3
    assert by_stage["evolve"].kept == 6  # one breadth and one depth set per seed
    assert by_stage["tree"].kept == 6
    n_tasks = by_stage["tasks"].kept
    assert n_tasks == 6 and not by_stage["tasks"].dropped
    # Sample 3 refuses, 4 has two code blocks, 5 is cut by the token limit: all dropped, by reason.
    assert by_stage["solutions"].kept == 3 * n_tasks
    assert by_stage["solutions"].dropped == Counter(
        {"refusal": n_tasks, "multiple_code_blocks": n_tasks, "truncated": n_tasks}
    )
    assert by_stage["tests"].kept == n_tasks and by_stage["verify"].kept == n_tasks
    assert first_requests == 3 + 6 + 2 * n_tasks + n_tasks + 3 * n_tasks + len(proxy_requests)

    tree = json.loads((out / "tree" / "tree.json").read_text())
    assert tree["count"] == 9 and tree["children"]

    verified = read_records(out, "verify", VerifiedTask)
    tasks = read_records(out, "tasks", Task)
    assert {vt.task.id for vt in verified} == {t.id for t in tasks}
    for vt in verified:
        bank = bank_of(vt.task.title)
        assert vt.golden.code == bank.correct.strip("\n"), "the golden solution must be a correct candidate"
        assert vt.pass_rate == pytest.approx(2 / 3, abs=1e-3)  # the wrong candidate fails some voted test
        assert {t.split for t in vt.tests} == {"suite", "holdout"}
        assert {t.kind for t in vt.tests} >= {"sample", "llm", "generator"}
        assert vt.sample_agreement == 1.0
        for test in vt.tests:  # every voted output is the right answer
            given = (
                {"nums": json.loads(test.input.split("\n")[0]), "k": json.loads(test.input.split("\n")[1])}
                if bank.functional
                else test.input
            )
            want = _expected(bank, given)
            assert (json.loads(test.output) == want) if bank.functional else (test.output.split() == want.split())
    assert {vt.task.style for vt in verified} == {"codeforces", "leetcode", "atcoder"}
    for tests in read_records(out, "tests", TaskTestInputs):
        title = next(t.title for t in tasks if t.id == tests.task_id)
        rejected = tests.provenance.extra["dropped_inputs"].get("validator:invalid_input", 0)
        assert rejected == (1 if title == BANK[0].title else 0), "the validator rejects exactly the invalid input"
        assert [p.role for p in tests.programs] == ["generator", "validator"] and tests.programs[0].failures == 0

    # Filter: identical statements collapse to one per bank problem; difficulty from the proxy.
    kept = read_records(out, "filter", VerifiedTask)
    assert by_stage["filter"].kept == len(kept) == len({vt.task.title for vt in verified})
    assert set(by_stage["filter"].dropped) <= {"near_duplicate"}
    assert sum(by_stage["filter"].dropped.values()) == n_tasks - len(kept)
    assert all(vt.proxy_pass_rate == 1.0 and vt.difficulty == "easy" for vt in kept)

    # Export: files, card, plot; loadable by datasets, the SFT loader, and the problem loader.
    export = out / "export"
    for name in ("sft.jsonl", "sft.parquet", "rl.jsonl", "rl.parquet", "README.md", "difficulty.png"):
        assert (export / name).is_file(), name
    assert (export / "difficulty.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = (export / "README.md").read_text()
    assert "## Counts per stage" in card and "| solutions | refusal |" in card and "## Style mix" in card

    import datasets

    sft = datasets.load_dataset(str(export), "sft", split="train")
    rl = datasets.load_dataset(str(export), "rl", split="train")
    assert len(sft) == len(rl) == len(kept)
    assert len(datasets.load_dataset("json", data_files=str(export / "sft.jsonl"), split="train")) == len(kept)
    by_id = {vt.task.id: vt for vt in kept}
    for row in sft:
        vt = by_id[row["id"]]
        assert row["messages"][:-1] == build_messages(vt.task.to_problem())
        assert row["messages"][-1] == {"role": "assistant", "content": vt.golden.response.strip()}

    from xcoder.train.sft import load_source, to_sft_format

    for path in (export / "sft.jsonl", export / "sft.parquet"):
        converted = to_sft_format(load_source(str(path), split="train"), "messages", str(path))
        assert len(converted) == len(kept) and converted[0]["messages"][-1]["role"] == "assistant"

    with Judge(JudgeConfig(workers=2)) as judge:
        for row in rl:
            problem = problem_from_row(row)
            vt = by_id[row["id"]]
            assert problem.fn_name == vt.task.fn_name and len(problem.tests) == row["num_tests"]
            assert row["prompt"] == build_messages(vt.task.to_problem())
            bank = bank_of(vt.task.title)
            assert judge.judge(problem, bank.correct).accepted
            assert not judge.judge(problem, bank.wrong).accepted, "the tests must catch the wrong solution"

    # The RL rows as GRPO's execution reward reads them (TRL passes dataset columns as kwargs).
    try:
        from rewards.registry import get_reward_funcs
    except ImportError:  # the rewards package is not in this checkout
        return
    (binary,) = get_reward_funcs(["binary"], judge={"workers": 2})
    golden = [[{"role": "assistant", "content": row["messages"][-1]["content"]}] for row in sft]
    wrong = [
        [{"role": "assistant", "content": f"```python\n{bank_of(by_id[row['id']].task.title).wrong}```"}]
        for row in sft
    ]
    rl_rows = {r["id"]: r for r in rl}
    columns = {
        "prompts": [rl_rows[row["id"]]["prompt"] for row in sft],
        "input_output": [rl_rows[row["id"]]["input_output"] for row in sft],
    }
    assert binary(completions=golden, **columns) == [1.0] * len(sft)
    assert binary(completions=wrong, **columns) == [0.0] * len(sft)


# ------------------------------------------------------------------------------------------------
# Bad answers are dropped with their reason; the stage never dies


def _configs(cases: list[str]) -> list[FeatureConfig]:
    return [
        FeatureConfig(
            id=f"cfg-{c}",
            idx=i,
            features={"algorithms": [f"case {c}"], "techniques": ["greedy"]},
            leaf_count=2,
            provenance=Provenance("tree"),
        )
        for i, c in enumerate(cases)
    ]


def test_task_stage_drops_refusals_bad_json_truncation_and_http_errors(tmp_path):
    flaky: Counter = Counter()
    base = ScriptedModel()

    def step(call):
        text = call.last_user
        case = text.split("case ", 1)[1].split('"', 1)[0].split()[0]
        first = text.startswith("# Task design, step 1")
        if first and case in ("flaky", "dropconn", "malformed") and not flaky[case]:
            flaky[case] += 1
            raise {
                "flaky": HTTPError(503, "overloaded", retry_after=0),
                "dropconn": DropConnection(),
                "malformed": MalformedBody(),
            }[case]
        if first and case == "refusal":
            return "I'm sorry, but I can't assist with that request."
        if first and case == "prose":
            return "My plan: combine a greedy scan with sorting."
        if first and case == "truncated":
            return Reply('{"selected_features": {"algorithms": [', finish_reason="length")
        if first and case == "http400":
            raise HTTPError(400, "context length exceeded")
        if first and case == "always500":
            raise HTTPError(500, "server error")
        answer = base(call)
        if not first and case == "noexample":
            data = json.loads(answer)
            data["examples"] = data["examples"][:1]
            return json.dumps(data)
        if not first and case == "hint":
            data = json.loads(answer)
            data["legend"] += "\n\n**Hint:** sort first."
            return json.dumps(data)
        return answer

    cases = [
        "ok",
        "flaky",
        "dropconn",
        "malformed",
        "refusal",
        "prose",
        "truncated",
        "http400",
        "always500",
        "noexample",
        "hint",
    ]
    overrides = {
        t: step
        for t in (
            "# Task design, step 1: choose features and an integration strategy",
            "# Task design, step 2: write a Codeforces-style problem",
        )
    }
    with FakeChatServer(ScriptedModel(overrides)) as server:
        config = make_config(server.url, tmp_path, tasks={"styles": {"codeforces": 1.0}})
        write_records(tmp_path, "tree", _configs(cases), writer="test")
        summary = run_stage(config, "tasks", progress=False)
    assert summary.kept == 4
    assert summary.dropped == Counter(
        {
            "select:refusal": 1,
            "select:no_json": 1,
            "select:truncated": 1,
            "llm_http_400": 1,
            "llm_retries_exhausted": 1,
            "write:too_few_examples": 1,
            "write:hint_in_statement": 1,
        }
    )
    kept = read_records(tmp_path, "tasks", Task)
    assert sorted(t.config_id for t in kept) == ["cfg-dropconn", "cfg-flaky", "cfg-malformed", "cfg-ok"]
    assert all(t.style == "codeforces" and len(t.examples) == 2 and len(t.provenance.request_keys) == 2 for t in kept)


def test_items_lost_to_a_server_outage_are_retried_by_the_next_run(tmp_path):
    model = ScriptedModel()
    down = [True]

    def maybe_down(call):
        if down[0]:
            raise HTTPError(502, "bad gateway")
        return model(call)

    with FakeChatServer(maybe_down) as server:
        config = make_config(server.url, tmp_path)
        outage = run_stage(config, "features", progress=False)
        assert (outage.kept, outage.dropped) == (0, Counter({"llm_retries_exhausted": 3}))
        assert server.request_count == 3 * 3  # each item: first attempt + max_retries=2
        down[0] = False
        recovered = run_stage(config, "features", progress=False)
        assert (recovered.kept, recovered.dropped, recovered.items) == (3, Counter(), 3)
        server.reset()
        assert run_stage(config, "features", progress=False).new_items == 0 and server.request_count == 0
    assert len(read_records(tmp_path, "features", FeatureSet)) == 3


def test_test_stage_counts_broken_generators_and_malformed_inputs(tmp_path):
    generator = (
        "import json, sys\nscale, seed = sys.stdin.readline().split()\n"
        "if scale == 'stress':\n    raise SystemExit(3)\n"
        "if scale == 'large':\n    print(json.dumps([1, 2]))\n"  # one argument line short
        "else:\n    print(json.dumps([int(seed), 1]))\n    print(json.dumps(2))\n"
    )
    answers = {
        "# Test design: test inputs": lambda call: json.dumps(
            {
                "tests": [
                    {"input": {"nums": [1, 1], "k": 2}, "kind": "standard"},
                    {"input": [[3], 4], "kind": "edge"},
                    {"input": {"nums": [1]}, "kind": "edge"},
                    {"input": "text", "kind": "edge"},
                ]
            }
        ),
        "# Test design: input generator program": lambda call: f"```python\n{generator}```",
        "# Test design: input validator program": lambda call: "```python\nprint('INVALID: always')\n```",
    }
    task = Task(
        "task-pairs",
        "leetcode",
        "Pairs",
        "Count pairs summing to k.",
        [Example("[1, 2, 3]\n4", "1"), Example("[2, 2]\n4", "1")],
        Provenance("tasks"),
        fn_name="countPairs",
        starter_code="class Solution:\n    def countPairs(self, nums: List[int], k: int) -> int:\n        ",
    )
    with FakeChatServer(ScriptedModel(answers)) as server:
        config = make_config(server.url, tmp_path, tests={"validator": True, "seeds_per_scale": 2})
        write_records(tmp_path, "tasks", [task], writer="test")
        assert run_stage(config, "tests", progress=False).kept == 1
    (tests,) = read_records(tmp_path, "tests", TaskTestInputs)
    assert tests.provenance.extra["dropped_inputs"] == {
        "llm_inputs:malformed": 2,
        "generator:runtime_error": 2,
        "generator:malformed_arguments": 2,
        "validator:rejected_examples": 1,
    }
    assert Counter((t.kind, t.scale) for t in tests.inputs) == {
        ("sample", "sample"): 2,
        ("llm", "small"): 1,
        ("llm", "edge"): 1,
        ("generator", "small"): 2,
        ("generator", "medium"): 2,
    }
    assert [t.input for t in tests.inputs if t.kind == "llm"] == ["[1, 1]\n2", "[3]\n4"]
    generator_record = tests.programs[0]
    assert (generator_record.runs, generator_record.failures) == (8, 2) and "exit code 3" in generator_record.error
    assert tests.programs[1].error == "rejected the statement's own examples; ignored"


def test_solution_stage_keeps_only_single_parseable_python_blocks(tmp_path):
    good = "```python\nprint(int(input()) * 2)\n```"
    answers = [
        good,
        "Just double the number.",
        "```python\ndef f(:\n    pass\n```",
        "```text\n4\n```",
        "I cannot help with that.",
        good + "\n" + good,
        Reply(good, finish_reason="length"),
        Reply(good, reasoning="double it"),
    ]

    def solve(call):
        if "Triple" in call.last_user:
            raise HTTPError(400, "prompt too long")
        return answers[call.choice_index]

    tasks = [
        Task(
            "task-double",
            "codeforces",
            "Double",
            "Double the number n.",
            [Example("2\n", "4\n"), Example("3\n", "6\n")],
            Provenance("tasks"),
        ),
        Task(
            "task-triple",
            "codeforces",
            "Triple",
            "Triple the number n.",
            [Example("2\n", "6\n"), Example("1\n", "3\n")],
            Provenance("tasks"),
        ),
    ]
    with FakeChatServer(ScriptedModel({"solution": solve})) as server:
        config = make_config(server.url, tmp_path, solutions={"n": len(answers)})
        write_records(tmp_path, "tasks", tasks, writer="test")
        summary = run_stage(config, "solutions", progress=False)
        body = next(b for b in server.chat_bodies() if "Double" in json.dumps(b))
    assert (body["temperature"], body["top_p"], body["n"]) == (0.6, 0.95, len(answers))
    assert summary.dropped == Counter(
        {
            "no_code_block": 2,
            "syntax_error": 1,
            "refusal": 1,
            "multiple_code_blocks": 1,
            "truncated": 1,
            "llm_http_400": 1,
        }
    )
    sols = read_records(tmp_path, "solutions", Solution)
    assert [(s.index, s.reasoning) for s in sorted(sols, key=lambda s: s.index)] == [(0, None), (7, "double it")]
    assert all(s.code == "print(int(input()) * 2)" and s.response.startswith("```python") for s in sols)


# ------------------------------------------------------------------------------------------------
# Shards, imports, hand-made (procedural) records, CLI


def test_shards_add_up_to_a_single_run_and_later_stages_wait_for_all(tmp_path):
    tasks = [
        Task(
            f"task-{i:02d}",
            "codeforces",
            "Lanterns",
            BANK[0].answer["legend"] + f" (#{i})",
            [Example("1\n5\n", "5\n"), Example("2\n1 2\n", "3\n")],
            Provenance("tasks"),
        )
        for i in range(12)
    ]
    with FakeChatServer(ScriptedModel()) as server:
        single = make_config(server.url, tmp_path / "single")
        write_records(single.output_dir, "tasks", tasks, writer="test")
        run_stage(single, "solutions", progress=False)
        sharded = make_config(server.url, tmp_path / "sharded")
        write_records(sharded.output_dir, "tasks", tasks, writer="test")
        first = run_stage(sharded, "solutions", (0, 3), progress=False)
        assert 0 < first.items < 12
        with pytest.raises(StageNotReady, match=r"shard\(s\) 1/3, 2/3 have not run yet"):
            run_stage(sharded, "verify", progress=False)
        run_stage(sharded, "solutions", (2, 3), progress=False)
        run_stage(sharded, "solutions", (1, 3), progress=False)
        assert stage_status(sharded.output_dir, "solutions") == (True, "")
    one = [row for _, row in iter_raw(single.output_dir, "solutions")]
    three = [row for _, row in iter_raw(sharded.output_dir, "solutions")]
    key = lambda r: r["id"]  # noqa: E731
    assert sorted(one, key=key) == sorted(three, key=key) and len(one) == 36
    assert stage_summary(sharded.output_dir, "solutions").items == 12


def test_tree_stage_imports_xcoder_feature_configs(tmp_path):
    rows = [
        {
            "features": {"Algorithms": {"Graph": ["Dijkstra", "BFS"]}, "Data Structures": ["Heap"]},
            "mandatory_features": [],
            "idx": 0,
            "leaf_count": 3,
            "shape": [3, 3, 1],
        },
        {
            "features": {"Math": ["Modular Inverse"]},
            "mandatory_features": ["Modular Inverse"],
            "idx": 1,
            "leaf_count": 1,
        },
        {"idx": 2, "leaf_count": 0},
        "not an object",
        {"features": {"x": []}, "idx": 4},
    ]
    path = tmp_path / "feature_config_sampled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    config = make_config("http://127.0.0.1:9/v1", tmp_path / "run", tree={"import_path": str(path)})
    summary = run_stage(config, "tree", progress=False)
    assert summary.kept == 2
    assert summary.dropped == Counter(
        {"import:no_features_object": 2, "import:empty_features": 1, "import:invalid_json": 1}
    )
    configs = sorted(read_records(config.output_dir, "tree", FeatureConfig), key=lambda c: c.idx)
    assert configs[0].features == {"algorithm": {"graph": ["dijkstra", "bfs"]}, "data structure": ["heap"]}
    assert (configs[0].leaf_count, configs[0].shape) == (3, [3, 3, 1])
    assert configs[1].mandatory_features == ["modular inverse"]
    assert configs[0].provenance.source == "import:feature_config_sampled.jsonl"

    # A merged feature-tree JSON object is sampled like our own tree.
    merged = tmp_path / "feature_evoled.json"
    merged.write_text(
        json.dumps(
            {
                "algorithms": {"graphs": ["bfs", "dfs", "dijkstra"], "dp": ["knapsack", "lis"]},
                "math": ["gcd", "sieve", "fast power"],
            }
        )
    )
    config = make_config(
        "http://127.0.0.1:9/v1", tmp_path / "run", tree={"import_path": str(merged), "num_configs": 3}
    )
    summary = run_stage(config, "tree", progress=False)  # new input: the old configs are replaced
    assert summary.kept == 3 and summary.items == 1
    assert json.loads((tmp_path / "run" / "tree" / "tree.json").read_text())["children"]
    lfs = tmp_path / "pointer.jsonl"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n")
    config = make_config("http://127.0.0.1:9/v1", tmp_path / "lfs", tree={"import_path": str(lfs)})
    assert run_stage(config, "tree", progress=False).dropped == Counter({"import:git_lfs_pointer": 1})


def test_verify_filter_export_take_hand_made_records(tmp_path):
    """A procedural family writes Task/Solution/TaskTestInputs records; verify onwards is shared."""
    task = Task(
        "task-proc-sum",
        "codeforces",
        "Sum",
        "Print a + b.",
        [Example("1 2\n", "3\n"), Example("5 5\n", "10\n")],
        Provenance("tasks", source="procedural:sum"),
    )
    good = "a, b = map(int, input().split())\nprint(a + b)\n"
    sols = [
        Solution(
            f"sol-{i}", task.id, i, f"```python\n{code}```", code, Provenance("solutions", source="procedural:sum")
        )
        for i, code in enumerate([good, good, "print(3)\n"])
    ]
    inputs = [
        TestInput(f"in-{i}", f"{i} {i * 7}\n", kind="procedural", scale=s)
        for i, s in enumerate(["sample", "small", "small", "large", "stress", "edge", "boundary", "medium"])
    ]
    inputs[0] = TestInput("in-0", "1 2\n", kind="sample", scale="sample")
    config = make_config("http://127.0.0.1:9/v1", tmp_path)
    write_records(tmp_path, "tasks", [task], writer="procedural")
    write_records(tmp_path, "solutions", sols, writer="procedural")
    write_records(
        tmp_path, "tests", [TaskTestInputs("tests-proc", task.id, inputs, Provenance("tests"))], writer="procedural"
    )
    for stage in ("verify", "filter", "export"):
        assert run_stage(config, stage, progress=False).kept == 1, stage
    (vt,) = read_records(tmp_path, "filter", VerifiedTask)
    assert vt.golden.id == "sol-0" and vt.pass_rate == pytest.approx(2 / 3, abs=1e-3)
    assert [t.output.strip() for t in vt.tests if t.input == "3 21\n"] == ["24"]
    rl = [json.loads(line) for line in (tmp_path / "export" / "rl.jsonl").read_text().splitlines()]
    assert rl[0]["source"] == "procedural:sum" and len(problem_from_row(rl[0]).tests) == len(vt.tests)


def test_cli_runs_a_stage_reports_status_and_explains_errors(tmp_path):
    from typer.testing import CliRunner

    from xcoder.cli import app

    with FakeChatServer(ScriptedModel()) as server:
        cfg = tmp_path / "gen.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "output_dir": str(tmp_path / "run"),
                    "llm": {"base_url": server.url, "model": "m"},
                    "seeds": {"limit": 2},
                }
            )
        )
        runner = CliRunner()
        result = runner.invoke(app, ["gen", "features", "--config", str(cfg), "--no-progress"])
        assert result.exit_code == 0, result.output
        assert "features: 2 kept, 0 dropped" in result.output
        result = runner.invoke(app, ["gen", "tasks", "--config", str(cfg)])
        assert result.exit_code == 1 and "cannot run tasks: stage 'tree' has not run yet" in result.output
        result = runner.invoke(app, ["gen", "status", "--config", str(cfg)])
        assert result.exit_code == 0 and "finished" in result.output and "not started" in result.output
        cfg.write_text(yaml.safe_dump({"llm": {"base_url": server.url, "model": "m"}, "tasks": {"per_conf": 2}}))
        result = runner.invoke(app, ["gen", "run", "--config", str(cfg)])
        assert result.exit_code == 2 and "tasks: unknown key(s) ['per_conf']" in result.output
        result = runner.invoke(app, ["gen", "run", "--config", str(cfg), "--stages", "tasks,nope"])
        assert result.exit_code == 2 and "unknown stage(s) ['nope']" in result.output


# ------------------------------------------------------------------------------------------------
# kill -9 mid-stage, then resume


KILL_SECTIONS = {
    "flush_every": 3,
    "flush_seconds": 0.2,
    "item_concurrency": 4,
    "llm": {"max_concurrency": 4},
    "tasks": {"styles": {"codeforces": 0.6, "leetcode": 0.4}},
}


def test_kill_9_mid_stage_then_resume_repeats_no_request_and_loses_or_doubles_no_record(tmp_path):
    configs = [
        FeatureConfig(
            id=f"cfg-{i:02d}",
            idx=i,
            features={"algorithms": [f"feature {i}"]},
            leaf_count=1,
            provenance=Provenance("tree"),
        )
        for i in range(40)
    ]
    with FakeChatServer(ScriptedModel(), latency=0.03) as server:
        out = tmp_path / "killed"
        cfg = tmp_path / "gen.yaml"
        data = config_dict(server.url, out, **KILL_SECTIONS)
        cfg.write_text(yaml.safe_dump(data))
        write_records(out, "tree", configs, writer="test")
        proc = subprocess.Popen(
            [sys.executable, "-m", "xcoder.cli", "gen", "tasks", "--config", str(cfg), "--no-progress"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 60
        while server.request_count < 40 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL

        committed = read_records(out, "tasks", Task)
        assert 0 < len(committed) < 40, "kill the run mid-stage, after some items were committed"
        with ResponseCache(out / "llm_cache.sqlite") as cache:
            answered = {json.dumps([request["messages"], request["seed"]]) for _, request, _ in cache.entries()}
        assert answered

        server.reset()
        summary = run_stage(config_from_dict(data), "tasks", progress=False)
        resent = [json.dumps([body["messages"], body["seed"]]) for body in server.chat_bodies()]
        assert resent and not set(resent) & answered, "a request answered before the kill was sent again"
        assert len(resent) == len(set(resent))

        # The same stage run without interruption, in another directory with its own cache.
        reference = make_config(server.url, tmp_path / "reference", **KILL_SECTIONS)
        write_records(reference.output_dir, "tree", configs, writer="test")
        run_stage(reference, "tasks", progress=False)

    rows = [row for _, row in iter_raw(out, "tasks")]
    assert len(rows) == len({r["id"] for r in rows}) == 40 == summary.kept, "lost or doubled records"
    expected = {r["id"]: r for _, r in iter_raw(reference.output_dir, "tasks")}
    assert {r["id"]: r for r in rows} == expected
