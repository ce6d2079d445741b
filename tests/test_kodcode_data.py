"""KodCode-V1 rows on every data path: problems for the judge (file, directory, Parquet), the
prompt builder eval uses, SFT rows (solution, or the SFT release's reasoning with ``<think>`` kept
or dropped), GRPO rows whose execution reward runs the row's pytest file, and bad input (a test
file that does not parse, imports a missing module, has no tests; a sample hanging at import)
reported with the row's name instead of stalling a batch."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from xcoder.kodcode import difficulty_label, iter_rows, pass_percentage, rename_entry_point, strip_think, test_info_of
from xcoder.problem import UNITTEST, load_problems, problem_from_row
from xcoder.prompts import DEFAULT_SYSTEM_PROMPT, build_kodcode_messages, build_kodcode_user_prompt, kodcode_stub

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "kodcode"
RL_RELEASE = FIXTURES / "kodcode_v1_rl.jsonl"
SFT_RELEASE = FIXTURES / "kodcode_v1_sft_r1.jsonl"


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def to_parquet(src: Path, dst: Path) -> Path:
    import datasets

    datasets.load_dataset("json", data_files=str(src), split="train").to_parquet(str(dst))
    return dst


# -- KodCode's rules ------------------------------------------------------------------------------


def test_test_info_difficulty_and_fixups_follow_kodcode():
    info = test_info_of(
        'def f(a, b=1, *args, k=2, **kw):\n    """Doc."""\n    def g(x):\n        return x\n    return g(a)\n'
    )
    assert [i["function_name"] for i in info] == ["f", "g"]
    assert info[0]["parameter_list"] == "(a, b=1, *args, k=2, **kw)" and info[0]["docstring"] == "Doc."
    assert info[0]["function_declaration"] == "def f(a, b=1, *args, k=2, **kw):"
    assert test_info_of("class A:\n    pass\n") is None and test_info_of("def f(:\n") == []
    assert [difficulty_label(s) for s in ([1, 1, 0], [1, 0, 0], [0, 0, 1, 0], [1, 0], [])] == [
        "easy",
        "medium",
        "hard",
        "medium",
        "hard",
    ]
    assert difficulty_label([1, 0], {"easy": 0.5}) == "easy"
    assert pass_percentage([1, 0, 1]) == 0.667
    assert (
        rename_entry_point("def solve(x):\n    return solve(x - 1) if x else 0\n", "count")
        == "def count(x):\n    return count(x - 1) if x else 0\n"
    )
    assert rename_entry_point("def a():\n    pass\ndef b():\n    pass\n", "c").startswith("def a")
    assert strip_think("<think>\nhm\n</think>\n\nanswer") == "answer" and strip_think("<think>never ends") is None


# -- problems for the judge and eval --------------------------------------------------------------


def test_published_layouts_load_as_problems_from_files_directories_and_parquet(tmp_path):
    from_jsonl, errors = load_problems(RL_RELEASE)
    assert errors == [] and sorted(from_jsonl) == ["Algorithm_00000052_C", "Leetcode_00000014_I"]
    problem = from_jsonl["Leetcode_00000014_I"]
    assert problem.kind == UNITTEST and problem.metadata["entry_point"] == "longest_increasing_run"
    assert problem.difficulty == "medium" and problem.metadata["gpt_pass_percentage"] == 0.667

    parquet = to_parquet(SFT_RELEASE, tmp_path / "sft_r1.parquet")
    from_parquet, errors = load_problems(parquet)
    assert errors == [] and sorted(from_parquet) == sorted(from_jsonl)
    assert from_parquet["Algorithm_00000052_C"].test_file == from_jsonl["Algorithm_00000052_C"].test_file

    directory = tmp_path / "dir"
    directory.mkdir()
    shutil.copy(RL_RELEASE, directory / "part-0.jsonl")
    shutil.copy(FIXTURES / "kodcode_v1_sample.jsonl", directory / "part-1.jsonl")
    from_dir, errors = load_problems(directory)
    assert errors == [] and len(from_dir) == 5

    # The older card layout: test_code and conversation_id.
    old = {
        "conversation_id": "Prefill_00000009_C",
        "question": "def f():\n    '''One.'''\n",
        "solution": "def f():\n    return 1\n",
        "test_code": "def test_f():\n    assert f() == 1\n",
    }
    loaded = problem_from_row(old)
    assert (loaded.question_id, loaded.metadata["style"], loaded.is_unittest) == (
        "Prefill_00000009_C",
        "complete",
        True,
    )


def test_a_missing_source_or_hub_id_is_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_problems(tmp_path / "nope.parquet")
    with pytest.raises(ValueError, match="cannot load dataset 'no-such-org-xyz/no-such-set'"):
        list(iter_rows("no-such-org-xyz/no-such-set"))


def test_the_kodcode_prompt_has_the_declaration_or_the_stub():
    problems, _ = load_problems(RL_RELEASE)
    instruct = build_kodcode_user_prompt(problems["Leetcode_00000014_I"])
    assert "return the length of the longest strictly increasing" in instruct
    assert "`def longest_increasing_run(nums):`" in instruct and instruct.startswith("### Question:")
    complete = build_kodcode_user_prompt(problems["Algorithm_00000052_C"])
    assert "```python\ndef rotate_matrix(matrix: list) -> list:" in complete and ">>> rotate_matrix" in complete
    messages = build_kodcode_messages(problems["Algorithm_00000052_C"])
    assert messages[0] == {"role": "system", "content": DEFAULT_SYSTEM_PROMPT} and len(messages) == 2
    assert build_kodcode_messages(problems["Algorithm_00000052_C"], None)[0]["role"] == "user"
    # A complete-style row whose question is prose: the stub comes from test_info.
    prose = problem_from_row({**rows(RL_RELEASE)[1], "question": "Rotate a square matrix clockwise."})
    assert kodcode_stub(prose).startswith('def rotate_matrix(matrix):\n    """Rotate a square matrix clockwise.')


# -- SFT ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_sft_rows_from_both_releases(tmp_path, suffix):
    from xcoder.train.sft import detect_layout, load_source, to_sft_format

    def load(path: Path):
        if suffix == "parquet":
            path = to_parquet(path, tmp_path / f"{path.stem}.parquet")
        return load_source(str(path), split="train"), str(path)

    ds, source = load(RL_RELEASE)
    assert detect_layout(ds.column_names, source) == "kodcode"
    solution_rows = to_sft_format(ds, "messages", source)
    first = solution_rows[0]["messages"]
    assert [t["role"] for t in first] == ["system", "user", "assistant"]
    assert first[1]["content"] == build_kodcode_user_prompt(problem_from_row(rows(RL_RELEASE)[0]))
    assert first[2]["content"] == f"```python\n{rows(RL_RELEASE)[0]['solution'].strip()}\n```"

    ds, source = load(SFT_RELEASE)
    assert detect_layout(ds.column_names, source) == "kodcode"  # not ShareGPT: the prompt is rebuilt
    kept = to_sft_format(ds, "messages", source)[0]["messages"][-1]["content"]
    assert kept.startswith("<think>\nThe run resets") and kept.endswith("```")
    dropped = to_sft_format(ds, "prompt_completion", source, kodcode_keep_think=False)[0]
    assert dropped["completion"][0]["content"].startswith("Track the current run") and "<think>" not in str(dropped)
    as_solution = to_sft_format(ds, "messages", source, kodcode_response="solution")[0]["messages"][-1]["content"]
    assert as_solution.startswith("```python\ndef longest_increasing_run")
    with pytest.raises(ValueError, match="no reasoning answer"):
        to_sft_format(load(RL_RELEASE)[0], "messages", source, kodcode_response="reasoning")


def test_sft_script_arguments_reach_the_kodcode_rows(tmp_path):
    from xcoder.train.sft import load_sft_dataset, parse_args

    config = tmp_path / "sft.yaml"
    config.write_text(
        f"dataset_name: {SFT_RELEASE}\nkodcode_response: reasoning\nkodcode_keep_think: false\n"
        f"model_name_or_path: none\noutput_dir: {tmp_path / 'out'}\nreport_to: none\n"
    )
    script_args, training_args, _, dataset_args = parse_args(["--config", str(config)])
    data = load_sft_dataset(script_args, dataset_args, None)
    assert len(data["train"]) == 2 and "<think>" not in json.dumps(data["train"][0]["messages"])


# -- GRPO and its reward --------------------------------------------------------------------------


def test_grpo_rows_and_a_pass_rate_reward_on_a_kodcode_rl_row(tmp_path):
    from rewards import get_reward_funcs
    from xcoder.train.grpo import GRPOScriptArguments, detect_rl_layout, load_rl_dataset, to_rl_dataset
    from xcoder.train.sft import load_source

    ds = load_source(str(RL_RELEASE), split="train")
    assert detect_rl_layout(ds.column_names, str(RL_RELEASE)) == "kodcode"
    converted, layout, dropped = to_rl_dataset(ds, "auto", str(RL_RELEASE), system_prompt=None)
    assert (layout, dropped, len(converted)) == ("kodcode", 0, 2)
    row = converted[0]
    assert row["question_id"] == "Leetcode_00000014_I" and row["test_file"] == rows(RL_RELEASE)[0]["test"]
    assert row["prompt"] == build_kodcode_messages(problem_from_row(rows(RL_RELEASE)[0]), None)
    assert (row["difficulty"], row["pass_rate"], row["input_output"]) == ("medium", 0.667, "")

    # Mixed with stdin rows in one run: columns are aligned; an exported RL row (rl layout) keeps test_file.
    stdin = tmp_path / "stdin.jsonl"
    stdin.write_text(
        json.dumps(
            {
                "question_id": "s1",
                "question_content": "Echo the input.",
                "input_output": json.dumps({"inputs": ["1\n"], "outputs": ["1\n"]}),
            }
        )
        + "\n"
    )
    exported = tmp_path / "rl_export.jsonl"
    exported.write_text(
        json.dumps(
            {
                "id": "k1",
                "question_id": "k1",
                "prompt": row["prompt"],
                "input_output": "",
                "test_file": row["test_file"],
            }
        )
        + "\n"
    )
    args = GRPOScriptArguments(dataset_files=[str(RL_RELEASE), str(stdin), str(exported)])
    train = load_rl_dataset(args)["train"]
    assert len(train) == 4 and [bool(t) for t in train["test_file"]] == [True, True, False, True]

    (pass_rate,) = get_reward_funcs(["pass_rate"], judge={"workers": 2})
    solution = rows(RL_RELEASE)[0]["solution"]
    half_right = solution.replace("if not nums:\n        return 0", "if not nums:\n        return -1")
    completions = [
        [{"role": "assistant", "content": f"```python\n{code}```"}]
        for code in (solution, half_right, "def longest_increasing_run(nums):\n    return 1\n", "no code at all")
    ]
    values = pass_rate(
        completions=completions,
        prompts=[row["prompt"]] * 4,
        test_file=[row["test_file"]] * 4,
        input_output=[""] * 4,
        question_id=[row["question_id"]] * 4,
    )
    assert values == [1.0, 0.75, 0.5, 0.0]
    # Raw KodCode rows passed straight to TRL: the `test` column is read (with `solution` beside it).
    raw = rows(RL_RELEASE)[0]
    (binary,) = get_reward_funcs(["binary"])
    assert binary(
        completions=completions[:2],
        prompts=["p"] * 2,
        test=[raw["test"]] * 2,
        solution=[raw["solution"]] * 2,
        question_id=[raw["question_id"]] * 2,
    ) == [1.0, 0.0]


# -- bad input ------------------------------------------------------------------------------------


def bad_rows() -> list[dict]:
    base = rows(RL_RELEASE)[0]
    return [
        {**base, "question_id": "bad_parse", "test": "def test_x(:\n    pass\n"},
        {
            **base,
            "question_id": "bad_import",
            "test": "import no_such_test_dep_xyz\n\ndef test_x():\n    assert True\n",
        },
        {**base, "question_id": "bad_empty", "test": "import pytest\n\nX = 1\n"},
        {**base, "question_id": "good"},
    ]


def test_bad_test_files_name_the_row_on_the_data_paths(tmp_path):
    from rewards import get_reward_funcs
    from xcoder.train.grpo import to_rl_dataset
    from xcoder.train.sft import load_source, to_sft_format

    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in bad_rows()))
    problems, errors = load_problems(path)
    assert sorted(problems) == ["bad_empty", "bad_import", "good"]  # judged later: judge errors naming them
    assert len(errors) == 1 and "question_id=bad_parse" in errors[0] and "does not parse" in errors[0]

    ds = load_source(str(path), split="train")
    with pytest.raises(ValueError, match=r"row 0 \(question_id=bad_parse\).*does not parse"):
        to_sft_format(ds, "messages", str(path))
    with pytest.raises(ValueError, match=r"row 0 \(question_id=bad_parse\).*does not parse"):
        to_rl_dataset(ds, "auto", str(path), None)
    converted, _, dropped = to_rl_dataset(ds, "auto", str(path), None, skip_invalid=True)
    assert dropped == 1 and converted["question_id"] == ["bad_import", "bad_empty", "good"]

    # The reward: the data's fault is None (with a warning naming the row), never a silent 0.
    (pass_rate,) = get_reward_funcs(["pass_rate"], judge={"workers": 2})
    code = f"```python\n{rows(RL_RELEASE)[0]['solution']}```"
    values = pass_rate(
        completions=[[{"role": "assistant", "content": code}]] * 3,
        prompts=["p"] * 3,
        test_file=converted["test_file"],
        question_id=converted["question_id"],
    )
    assert values == [None, None, 1.0]


def test_judging_bad_rows_and_a_hanging_sample_never_stalls(tmp_path):
    from xcoder.judge import Judge, JudgeConfig, Verdict

    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in bad_rows()))
    problems, _ = load_problems(path)
    good = rows(RL_RELEASE)[0]["solution"]
    pairs = [
        (problems["bad_import"], good),
        (problems["bad_empty"], good),
        (problems["good"], "while True:\n    pass\n"),
        (problems["good"], good),
    ]
    start = time.monotonic()
    with Judge(JudgeConfig(workers=2, test_file_timeout=2)) as judge:
        results = judge.judge_batch(pairs)
    assert time.monotonic() - start < 40
    assert [r.verdict for r in results] == [
        Verdict.JUDGE_ERROR,
        Verdict.JUDGE_ERROR,
        Verdict.TIME_LIMIT,
        Verdict.ACCEPTED,
    ]
    assert "bad_import" in results[0].error and "no_such_test_dep_xyz" in results[0].error
    assert "bad_empty" in results[1].error and "no tests" in results[1].error
