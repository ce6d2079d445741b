"""Unit tests of the SynthSmith building blocks that need no model or judge: records, config,
prompts, feature trees, answer parsing, statement building, voting, filters and the runner's
storage (atomic committed parts, orphans, shards, external writers)."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
import yaml

from data_gen.answers import code_reason, encode_args, valid_functional_input
from data_gen.config import ConfigError, config_from_dict, load_config
from data_gen.feature_tree import build_tree, leaf_count, leaves, normalise_name, normalise_tree, sample_config
from data_gen.prompts import PROMPTS_DIR, PromptError, load_prompt
from data_gen.records import (
    Example,
    FeatureConfig,
    Provenance,
    RecordError,
    Solution,
    Task,
    TaskTestInputs,
    TestInput,
    VerifiedTask,
    VotedTest,
)
from data_gen.stage import Drop, ItemResult
from data_gen.stages.filter import deterministic_reason, near_duplicates
from data_gen.stages.tasks import _HINT, build_leetcode, build_stdin
from data_gen.stages.verify import output_comparator, split_holdout, vote
from data_gen.storage import (
    ShardWriter,
    committed_parts,
    parse_shard,
    read_done,
    read_records,
    shard_of,
    stage_status,
    write_records,
)

ROOT = Path(__file__).resolve().parents[1]
LLM = {"base_url": "http://127.0.0.1:9/v1", "model": "m"}


def _task(tid: str = "task-1", style: str = "codeforces", **kw) -> Task:
    return Task(
        tid, style, "T", "Question text", [Example("1\n", "1\n"), Example("2\n", "2\n")], Provenance("tasks"), **kw
    )


# -- records -------------------------------------------------------------------------------------


def test_records_round_trip_through_json_and_reject_unknown_fields():
    task = _task(style="leetcode", fn_name="f", starter_code="class Solution:\n    def f(self, x):\n        ")
    sol = Solution("s", task.id, 0, "resp", "code", Provenance("solutions", model="m", request_keys=["k"]))
    vt = VerifiedTask(
        "v",
        task,
        sol,
        [VotedTest("1", "2", "llm", "small", 1.0, 1.0, 2, 2, "holdout")],
        Provenance("verify"),
        candidate_scores={"s": 1.0},
    )
    tti = TaskTestInputs(
        "t", task.id, [TestInput("i", "1\n", kind="generator", scale="stress", seed=3)], Provenance("tests")
    )
    for record in (vt, tti):
        back = type(record).from_dict(json.loads(json.dumps(record.to_dict())))
        assert back == record
    assert vt.to_problem().fn_name == "f" and vt.to_problem().tests[0].output == "2"
    with pytest.raises(RecordError, match="unknown field.*'extra_field'"):
        Task.from_dict({**task.to_dict(), "extra_field": 1})
    with pytest.raises(RecordError, match="missing required field"):
        Solution.from_dict({"id": "s"})
    with pytest.raises(RecordError, match="style must be one of"):
        _task(style="topcoder")
    with pytest.raises(RecordError, match="leetcode-style tasks need fn_name"):
        _task(style="leetcode")
    with pytest.raises(RecordError, match="scale must be one of"):
        TestInput("i", "x", scale="huge")


def test_ids_seeds_and_shards_keep_their_values():
    """Ids, seeds and shard assignment come from xcoder.hashing now; a resumed run must recreate the
    very same ids and seeds as before the move (values pinned from the earlier implementation)."""
    from rich.console import Console

    from data_gen.stage import StageContext
    from xcoder.hashing import digest, make_id

    ctx = StageContext(config_from_dict({"llm": LLM, "random_seed": 3}), "tasks", (0, 1), Console())
    assert ctx.seed_for("tasks", "cfg-1", 0) == 1551889768
    assert (
        make_id("task", "cfg-1", 0) == "task-648f06437c8f8229" and make_id("sol", "tâsk", 2) == "sol-d83192082a54eb41"
    )
    assert digest("print(1)", 12) == "d287bb7f9d15" and shard_of("task-1", 8) == 7


# -- config --------------------------------------------------------------------------------------


def test_bundled_config_loads_and_unknown_or_mistyped_keys_name_their_path(tmp_path):
    config = load_config(ROOT / "recipes/data_gen/synthsmith.yaml", {"output_dir": str(tmp_path)})
    assert config.output_dir == str(tmp_path) and config.solutions.n == 8
    assert config.tasks.styles == {"codeforces": 0.7, "leetcode": 0.15, "atcoder": 0.15}
    assert config.solutions.temperature == 0.6 and config.solutions.top_p == 0.95
    cases = [
        ({"tasks": {"stylez": {}}}, r"tasks: unknown key\(s\) \['stylez'\]"),
        ({"tasks": {"styles": {"leetcode": "x"}}}, r"tasks.styles.leetcode: expected a number"),
        ({"tasks": {"styles": {"topcoder": 1.0}}}, r"tasks.styles: unknown style"),
        ({"judge": {"timeot": 1}}, r"judge: unknown key"),
        ({"verify": {"ties": "coin"}}, r"verify.ties must be"),
        ({"tree": {"shapes": [[3, 2]]}}, r"tree.shapes"),
        ({"solutions": {"n": "eight"}}, r"solutions.n: expected an integer"),
        ({"filter": {"proxy": {"enabled": "yes"}}}, r"filter.proxy.enabled: expected true/false"),
        ({"colour": 1}, r"top level: unknown key"),
    ]
    for extra, pattern in cases:
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump({"llm": LLM, **extra}))
        with pytest.raises(ConfigError, match=pattern) as err:
            load_config(path)
        assert str(path) in str(err.value)
    with pytest.raises(ConfigError, match="missing section 'llm'"):
        config_from_dict({})
    with pytest.raises(ConfigError, match=r"llm: unknown key"):
        config_from_dict({"llm": {**LLM, "modle": "x"}})


# -- prompts -------------------------------------------------------------------------------------


def test_prompt_files_render_and_holes_are_errors(tmp_path):
    names = sorted(p.stem for p in PROMPTS_DIR.glob("*.md"))
    assert names == [
        "brute_force",
        "checker",
        "evolve_breadth",
        "evolve_depth",
        "features",
        "kodcode_question_complete",
        "kodcode_question_instruct",
        "kodcode_solve_and_test",
        "kodcode_to_complete",
        "kodcode_to_instruct",
        "program_repair",
        "task_atcoder",
        "task_codeforces",
        "task_leetcode",
        "task_select",
        "test_generator",
        "test_inputs",
        "test_validator",
    ]
    prompt = load_prompt("features")
    assert prompt.placeholders == {"code"}
    assert "print(1)" in prompt.render(code="print(1)")
    with pytest.raises(PromptError, match=r"missing value\(s\) \['code'\]"):
        prompt.render()
    with pytest.raises(PromptError, match=r"unused value\(s\) \['other'\]"):
        prompt.render(code="x", other=1)
    (tmp_path / "features.md").write_text("Custom {{code}}")
    assert load_prompt("features", tmp_path).render(code="y") == "Custom y"
    assert load_prompt("features", tmp_path).sha != prompt.sha
    with pytest.raises(PromptError, match="no prompt file nope.md"):
        load_prompt("nope")


# -- feature trees ---------------------------------------------------------------------------------


def test_feature_names_are_normalised_and_trees_merged_with_counts():
    assert normalise_name("  Segment_Trees ") == "segment tree"
    assert normalise_name("Dynamic-Programming") == "dynamic programming"
    assert (
        normalise_name("queries") == "query"
        and normalise_name("BFS") == "bfs"
        and normalise_name("analysis") == "analysis"
    )
    assert normalise_name(3) == "" and normalise_name("***") == ""
    messy = {"Algorithms": ["BFS", "bfs", 3, ""], "Data_Structures": {"Trees": ["Segment Trees"]}, "empty": []}
    # Plural and singular names meet in one node, categories included.
    assert normalise_tree(messy) == {"algorithm": ["bfs"], "data structure": {"tree": ["segment tree"]}}
    root = build_tree([{"algorithms": ["bfs", "dfs"]}, {"algorithms": {"bfs": ["0 1 bfs"]}}, {"math": ["gcd"]}])
    tree = root.to_dict()
    assert tree["count"] == 3
    algorithms = next(c for c in tree["children"] if c["name"] == "algorithms")
    assert algorithms["count"] == 2
    bfs = next(c for c in algorithms["children"] if c["name"] == "bfs")
    assert bfs["count"] == 2 and bfs["children"][0]["name"] == "0 1 bfs"
    assert root.to_nested() == {"algorithms": {"bfs": ["0 1 bfs"], "dfs": []}, "math": ["gcd"]}


def test_sampled_configs_follow_the_shape_and_are_reproducible():
    sets = [{f"cat{c}": {f"node{n}": [f"leaf{c}_{n}_{i}" for i in range(4)] for n in range(3)}} for c in range(4)]
    root = build_tree(sets)
    one = sample_config(root, random.Random(5), [2, 2, 3], max_depth=4)
    assert one == sample_config(root, random.Random(5), [2, 2, 3], max_depth=4)
    assert len(one) == 2
    for sub in one.values():
        assert len(sub) <= 2
        assert all(isinstance(v, list) and len(v) <= 3 for v in sub.values())
    assert leaf_count(one) == len(leaves(one)) > 0


# -- answers and statements --------------------------------------------------------------------------


def test_code_answers_need_exactly_one_parseable_python_block():
    ok = "Reasoning.\n```python\nprint(1)\n```"
    assert code_reason(ok, "stop") == ("print(1)", "")
    assert code_reason("<think>```python\nx=1\n```</think>" + ok, "stop")[0] == "print(1)"
    assert code_reason(ok, "length") == (None, "truncated")
    assert code_reason("The answer is to sort the array.", "stop") == (None, "no_code_block")
    assert code_reason("I'm sorry, I can't help with that.", "stop") == (None, "refusal")
    assert code_reason(ok + "\n```py\nprint(2)\n```", "stop") == (None, "multiple_code_blocks")
    assert code_reason("```python\ndef f(:\n```", "stop") == (None, "syntax_error")
    assert code_reason("Output:\n```text\n3\n```", "stop") == (None, "no_code_block")
    assert encode_args({"nums": [1, 2], "k": 3}, ["nums", "k"]) == "[1, 2]\n3"
    assert encode_args([[1], "a"], ["nums", "s"]) == '[1]\n"a"'
    assert encode_args({"nums": [1]}, ["nums", "k"]) is None
    assert valid_functional_input("[1, 2]\n3\n", 2) and not valid_functional_input("[1, 2]\n", 2)


STDIN_ANSWER = {
    "title": "Sum",
    "legend": "Add numbers.",
    "input_format": "Two integers.",
    "output_format": "Their sum.",
    "constraints": ["$1 \\le a, b \\le 10$"],
    "examples": [{"input": "1 2", "output": 3}, {"input": ["2 2"], "output": "4\n"}, {"input": None, "output": 1}],
}
LEETCODE_ANSWER = {
    "title": "Pairs",
    "description": "Count pairs.",
    "func_name": "countPairs",
    "parameters": ["nums", "k"],
    "starter_code": "class Solution:\n    def countPairs(self, nums: List[int], k: int) -> int:\n        ",
    "constraints": ["1 <= n"],
    "examples": [
        {"input": {"nums": [1, 2], "k": 3}, "output": 1},
        {"input": [[2, 2, 2], 4], "output": 3},
        {"input": {"nums": [1]}, "output": 0},
    ],
}


def test_statements_are_rendered_per_style_with_checked_examples():
    fields = build_stdin(STDIN_ANSWER, "codeforces", 2)
    assert [(e.input, e.output) for e in fields["examples"]] == [("1 2\n", "3\n"), ("2 2\n", "4\n")]
    assert "**Input**" in fields["question"] and "Input 2:" in fields["question"]
    assert "## Sample Input 1" in build_stdin(STDIN_ANSWER, "atcoder", 2)["question"]
    with pytest.raises(Drop, match="write:too_few_examples"):
        build_stdin(STDIN_ANSWER, "codeforces", 3)
    with pytest.raises(Drop, match="write:missing_legend"):
        build_stdin({**STDIN_ANSWER, "legend": ""}, "codeforces", 2)
    lc = build_leetcode(LEETCODE_ANSWER, 2)
    assert lc["fn_name"] == "countPairs"
    assert [(e.input, e.output) for e in lc["examples"]] == [("[1, 2]\n3", "1"), ("[2, 2, 2]\n4", "3")]
    assert "Input: nums = [1,2], k = 3\nOutput: 1" in lc["question"]
    with pytest.raises(Drop, match="write:parameters_mismatch"):
        build_leetcode({**LEETCODE_ANSWER, "parameters": ["a", "b"]}, 2)
    with pytest.raises(Drop, match="write:starter_code_without_method"):
        build_leetcode({**LEETCODE_ANSWER, "func_name": "other"}, 2)
    with pytest.raises(Drop, match="write:bad_func_name"):
        build_leetcode({**LEETCODE_ANSWER, "func_name": "count pairs"}, 2)
    assert _HINT.search("Story.\n\n**Hint:** use a heap") and _HINT.search("### Hints\n- sort")
    assert not _HINT.search("Approaching the castle, the knight counts towers.")


# -- verification --------------------------------------------------------------------------------------


def test_majority_vote_rules():
    same = output_comparator(False)
    v = vote(["3\n", "3", None, "4\n"], same, min_votes=2, min_agreement=0.5)
    assert (v.output, v.votes, v.runs, v.winners, round(v.share, 3)) == ("3\n", 2, 3, [0, 1], 0.667)
    assert vote(["3", "4"], same, 1, 0.5).reason == "tie"
    assert vote(["3", "4"], same, 1, 0.5, ties="first").output == "3"
    assert vote(["3", "4", "5", "3"], same, 2, 0.6).reason == "no_majority"
    assert vote(["3", None], same, 2, 0.5).reason == "too_few_votes"
    assert vote([None, None], same, 1, 0.5).reason == "no_successful_run"
    functional = output_comparator(True)
    assert vote(["[1, 2]", "[1,2]", "not json"], functional, 2, 0.5).votes == 2
    assert output_comparator(False, "float", 1e-3, 1e-3)("0.5000", "0.50001")


def test_holdout_split_keeps_examples_in_the_suite_and_spans_scales():
    tests = [VotedTest(str(i), "o", "sample", "sample", 1, 1, 2, 2) for i in range(2)]
    tests += [
        VotedTest(f"{s}{i}", "o", "generator", s, 1, 1, 2, 2) for s in ("small", "large", "stress") for i in range(4)
    ]
    split_holdout(tests, 0.5, random.Random(0))
    assert all(t.split == "suite" for t in tests if t.kind == "sample")
    held = Counter(t.scale for t in tests if t.split == "holdout")
    assert held == {"small": 2, "large": 2, "stress": 2}


def test_deterministic_filters_and_near_duplicates():
    cfg = config_from_dict({"llm": LLM}).filter
    fn = _task("t", "leetcode", fn_name="f", starter_code="class Solution:\n    def f(self, x):\n        ")

    def vt(task, outputs, agreement=1.0):
        return VerifiedTask(
            "v",
            task,
            Solution("s", task.id, 0, "r", "c", Provenance("x")),
            [VotedTest(str(i), o, "llm", "small", 1, 1, 2, 2) for i, o in enumerate(outputs)],
            Provenance("verify"),
            sample_agreement=agreement,
        )

    assert deterministic_reason(vt(fn, ["[]", "null", "[]", '""', "[1]", "2"]), cfg) == "empty_outputs"
    assert deterministic_reason(vt(fn, ["1", "2", "[]", "3", "4"]), cfg) is None
    assert deterministic_reason(vt(_task(), ["7\n"] * 6), cfg) == "identical_outputs"
    assert deterministic_reason(vt(_task(), ["1", "2"]), cfg) == "too_few_tests"
    assert deterministic_reason(vt(_task(), ["1", "2", "3", "4", "5"], agreement=0.5), cfg) == "sample_mismatch"
    base = "Given an array of n integers, find the longest strictly increasing subsequence and print its length " * 2
    dups = near_duplicates(
        {"a": base, "b": base + " Note that n is small.", "c": "Count the islands of a grid map " * 4}, threshold=0.8
    )
    assert dups == {"b": "a"}


# -- runner storage ----------------------------------------------------------------------------------


def test_parts_commit_atomically_and_orphans_are_removed(tmp_path):
    directory = tmp_path / "tasks"
    writer = ShardWriter(directory, "000of001")
    writer.commit([("k1", ItemResult([_task("task-a")])), ("k2", ItemResult(dropped=Counter({"bad": 2})))])
    # A part written but never committed (killed between the two writes), and a stray temp file.
    (directory / "part-000of001-00001.jsonl").write_text(json.dumps(_task("task-z").to_dict()) + "\n")
    (directory / ".part-000of001-00002.jsonl.123.tmp").write_text("partial")
    assert [t.id for t in read_records(tmp_path, "tasks", Task)] == ["task-a"]
    writer = ShardWriter(directory, "000of001")  # a resumed run
    assert not (directory / "part-000of001-00001.jsonl").exists()
    assert not list(directory.glob(".*.tmp"))
    assert (writer.kept, writer.items, writer.dropped) == (1, 2, Counter({"bad": 2}))
    writer.commit([("k3", ItemResult([_task("task-b")]))])
    assert [t.id for t in read_records(tmp_path, "tasks", Task)] == ["task-a", "task-b"]
    assert [p.name for p in committed_parts(directory)] == ["part-000of001-00000.jsonl", "part-000of001-00001.jsonl"]
    assert sorted(k for d in read_done(directory) for k in d["items"]) == ["k1", "k2", "k3"]


def test_external_writers_and_shard_status(tmp_path):
    write_records(tmp_path, "tasks", [_task("task-a"), _task("task-b")], writer="procedural.sums", dropped={"dup": 1})
    assert stage_status(tmp_path, "tasks") == (True, "")
    write_records(tmp_path, "tasks", [_task("task-c")], writer="procedural.sums")  # replaces its own part
    assert [t.id for t in read_records(tmp_path, "tasks", Task)] == ["task-c"]
    with pytest.raises(ValueError, match="unknown stage"):
        write_records(tmp_path, "taskz", [])
    assert stage_status(tmp_path, "solutions")[1].startswith("stage 'solutions' has not run yet")
    d = tmp_path / "solutions"
    d.mkdir()
    (d / "manifest-000of002.json").write_text(json.dumps({"shard": "000of002", "n_shards": 2, "finished": True}))
    assert "shard(s) 1/2 have not run yet" in stage_status(tmp_path, "solutions")[1]
    (d / "manifest-001of002.json").write_text(json.dumps({"shard": "001of002", "n_shards": 2, "finished": False}))
    assert "not finished on shard(s) 001of002" in stage_status(tmp_path, "solutions")[1]
    assert parse_shard("3/8") == (3, 8) and parse_shard(None) == (0, 1)
    for bad in ("8/8", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    keys = [f"task-{i}" for i in range(200)]
    assert all(shard_of(k, 4) == shard_of(k, 4) for k in keys)
    assert set(Counter(shard_of(k, 4) for k in keys)) == {0, 1, 2, 3}


def test_feature_config_reads_xcoder_fields():
    row = {
        "id": "c",
        "idx": 3,
        "features": {"a": ["b"]},
        "leaf_count": 1,
        "mandatory_features": [],
        "provenance": Provenance("tree").__dict__,
    }
    assert FeatureConfig.from_dict(row).idx == 3
