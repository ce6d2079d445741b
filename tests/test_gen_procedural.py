"""``xcoder gen procedural``: verified SFT/GRPO rows from the task families, the recipe data it
makes (``recipes/tiny/data``, byte for byte from the commands its README documents), and its user
errors; plus stage discovery by name."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from data_gen.config import ALL_STAGES
from data_gen.procedural.rows import ANSWER_HINT
from data_gen.stage import Stage, stage_class
from xcoder.cli import app
from xcoder.problem import problem_from_row
from xcoder.prompts import DEFAULT_SYSTEM_PROMPT

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "recipes/tiny/data"


def gen(*args: str):
    return CliRunner().invoke(app, ["gen", "procedural", *args])


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- stages are found by their name ---------------------------------------------------------------


def test_every_stage_module_is_found_by_its_name():
    modules = sorted(p.stem for p in (ROOT / "data_gen/stages").glob("*.py") if p.stem != "__init__")
    assert modules == sorted(ALL_STAGES)
    for name in ALL_STAGES:
        cls = stage_class(name)
        assert issubclass(cls, Stage) and cls.name == name
        assert cls.__module__ == f"data_gen.stages.{name}"
    with pytest.raises(ValueError, match="unknown stage 'testgen'"):
        stage_class("testgen")


# -- rows ----------------------------------------------------------------------------------------


def test_rl_rows_with_brief_prompts_and_warmup_rows(tmp_path):
    args = [
        "--rows",
        "rl",
        "--prompt",
        "brief",
        "--families",
        "distinct_chars,max_minus_min",
        "--train-tasks",
        "6",
        "--tests",
        "small=2,medium=1",
        "--styles",
        "codeforces=1,leetcode=1",
        "--no-progress",
    ]
    result = gen(*args, "--out", str(tmp_path / "a"))
    assert result.exit_code == 0, result.output
    rows, warmup = read(tmp_path / "a/grpo.jsonl"), read(tmp_path / "a/grpo_warmup.jsonl")
    assert len(rows) == len(warmup) == 6
    assert {r["question_id"] for r in rows} and len({r["question_id"] for r in rows}) == 6
    for row, chat in zip(rows, warmup):
        assert set(row) == {"question_id", "prompt", "input_output", "difficulty", "solution"}
        assert [m["role"] for m in row["prompt"]] == ["user"] and row["prompt"][0]["content"].endswith(ANSWER_HINT)
        problem = problem_from_row(row)
        assert len(problem.tests) == 1 + 3  # the example + small=2, medium=1
        if problem.fn_name:  # LeetCode style: the prompt names the method to write
            assert f"def {problem.fn_name}(self" in row["prompt"][0]["content"]
            assert row["solution"].startswith("class Solution:")
        else:
            assert "input()" in row["solution"]
        assert chat == {
            "messages": [
                *row["prompt"],
                {"role": "assistant", "content": f"```python\n{row['solution'].rstrip()}\n```"},
            ]
        }
    assert {problem_from_row(r).fn_name is None for r in rows} == {True, False}  # both styles drawn
    # deterministic: the same options write the same bytes; another seed other rows
    assert gen(*args, "--out", str(tmp_path / "b")).exit_code == 0
    assert (tmp_path / "a/grpo.jsonl").read_bytes() == (tmp_path / "b/grpo.jsonl").read_bytes()
    assert gen(*args, "--seed", "1", "--out", str(tmp_path / "c")).exit_code == 0
    assert (tmp_path / "a/grpo.jsonl").read_bytes() != (tmp_path / "c/grpo.jsonl").read_bytes()


def test_sft_rows_from_a_config_file_with_overrides(tmp_path):
    config = tmp_path / "pipeline.yaml"  # the pipeline layout: options in a procedural: section
    config.write_text(
        yaml.safe_dump(
            {
                "output_dir": "ignored",
                "procedural": {
                    "families": ["sum_mod"],
                    "train_tasks": 5,
                    "tests": {"small": 1},
                    "system_prompt": "none",
                },
            }
        )
    )
    result = gen("-c", str(config), "--train-tasks", "3", "--name", "chats", "--out", str(tmp_path), "--no-progress")
    assert result.exit_code == 0, result.output
    rows = read(tmp_path / "chats.jsonl")
    assert len(rows) == 3
    for row in rows:
        assert set(row) == {"question_id", "messages", "question_content", "starter_code", "input_output", "solution"}
        user, assistant = row["messages"]  # system_prompt: none -> no system turn
        assert user["role"] == "user" and row["question_content"] in user["content"]
        assert assistant == {"role": "assistant", "content": f"```python\n{row['solution'].rstrip()}\n```"}
        assert len(problem_from_row(row).tests) == 2
    result = gen("-c", str(config), "--system-prompt", "default", "--out", str(tmp_path / "d"), "--no-progress")
    assert result.exit_code == 0, result.output
    assert all(
        r["messages"][0] == {"role": "system", "content": DEFAULT_SYSTEM_PROMPT}
        for r in read(tmp_path / "d/sft.jsonl")
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--families", "sum_mod,nope"], "unknown task family ['nope']"),
        (["--tests", "small"], "--tests: expected NAME=INT"),
        (["--tests", "huge=2"], "unknown scale(s) ['huge']"),
        (["--rows", "dpo"], "rows must be one of ['sft', 'rl']"),
        (["--styles", "topcoder=1"], "unknown style(s) ['topcoder']"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tmp_path, args, message):
    result = gen(*args, "--out", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1


def test_a_bad_config_key_names_the_file_and_key(tmp_path):
    config = tmp_path / "rows.yaml"
    config.write_text(yaml.safe_dump({"families": ["sum_mod"], "train_taks": 3}))
    result = gen("--config", str(config), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert str(config) in result.output and "train_taks" in result.output and "Traceback" not in result.output


# -- the recipe data is what the documented commands make ----------------------------------------


def documented_commands() -> list[list[str]]:
    """The ``xcoder gen procedural`` commands of recipes/tiny/data/README.md, as argument lists."""
    text = (TINY / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(c.replace("\\\n", " "), comments=True) for c in block.split("\n\n")]
    return [c for c in commands if c[:3] == ["xcoder", "gen", "procedural"]]


def test_tiny_recipe_data_is_made_by_the_documented_commands(tmp_path):
    commands = documented_commands()
    assert len(commands) == 2
    for command in commands:
        args = command[3:]
        out = args.index("--out")
        assert args[out + 1] == "recipes/tiny/data"
        args[out + 1] = str(tmp_path)
        result = gen(*args, "--no-progress")
        assert result.exit_code == 0, result.output
    for name in ("sft.jsonl", "grpo.jsonl", "grpo_warmup.jsonl"):
        assert (tmp_path / name).read_bytes() == (TINY / name).read_bytes(), name
