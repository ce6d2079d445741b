"""`xcoder judge` end to end, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.lcb_rows import lcb_row

ROOT = Path(__file__).resolve().parents[1]


def xcoder(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xcoder.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def write_jsonl(path: Path, rows: list) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def test_judge_cli_grades_and_reports_bad_rows(tmp_path):
    problems = tmp_path / "problems.jsonl"
    write_jsonl(
        problems,
        [
            lcb_row("add", [("1 2\n", "3\n")], [("5 6\n", "11\n")]),
            {"question_id": "io", "input_output": json.dumps({"inputs": ["4\n"], "outputs": ["16\n"]})},
            "{not json",
        ],
    )
    samples = tmp_path / "samples.jsonl"
    write_jsonl(
        samples,
        [
            {
                "question_id": "add",
                "code_list": [
                    "a, b = map(int, input().split())\nprint(a + b)",
                    "print(3)",
                    "import os\nprint(os.environ)",
                ],
            },
            {"question_id": "io", "code_list": ["print(int(input()) ** 2)"]},
            {"question_id": "nope", "code_list": ["print(1)"]},
            {"question_id": "add", "code_list": "not a list"},
        ],
    )
    out = tmp_path / "judged.jsonl"
    proc = xcoder(
        "judge",
        "--problems",
        str(problems),
        "--samples",
        str(samples),
        "--out",
        str(out),
        "--timeout",
        "2",
        env={"XCODER_CLI_SECRET": "s3cr3t-value"},
    )
    assert proc.returncode == 1, proc.stderr  # input errors are reported through the exit code
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["question_id"] for r in rows] == ["add", "io", "nope", "add"]
    assert rows[0]["graded_list"] == [True, False, False]
    assert rows[0]["details"][1]["verdict"] == "wrong_answer"
    assert "s3cr3t-value" not in json.dumps(rows[0]["details"][2])
    assert rows[1]["graded_list"] == [True]
    assert "unknown question_id 'nope'" in rows[2]["error"] and rows[2]["graded_list"] == [False]
    assert "code_list" in rows[3]["error"]
    assert "problems.jsonl:3" in proc.stderr and "invalid JSON" in proc.stderr
    assert "samples.jsonl:3" in proc.stderr


def test_judge_cli_on_the_bundled_examples(tmp_path):
    out = tmp_path / "r.jsonl"
    proc = xcoder(
        "judge",
        "--problems",
        "examples/judge/problems.jsonl",
        "--samples",
        "examples/judge/samples.jsonl",
        "--out",
        str(out),
        "--timeout",
        "2",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    graded = {
        json.loads(line)["question_id"]: json.loads(line)["graded_list"] for line in out.read_text().splitlines()
    }
    assert graded["ex-sum"][:2] == [True, True] and graded["ex-sum"][3] is False
    assert graded["ex-maxsub"] == [True, False, False]


def test_judge_cli_refuses_to_overwrite_inputs(tmp_path):
    samples = tmp_path / "s.jsonl"
    write_jsonl(samples, [{"question_id": "x", "code_list": []}])
    proc = xcoder(
        "judge", "--problems", "examples/judge/problems.jsonl", "--samples", str(samples), "--out", str(samples)
    )
    assert proc.returncode != 0 and "overwrite" in proc.stderr
    assert json.loads(samples.read_text()) == {"question_id": "x", "code_list": []}


def test_judge_cli_user_errors_are_one_line_with_exit_code_2(tmp_path):
    def one_line_error(proc: subprocess.CompletedProcess) -> str:
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
        return lines[0]

    out = tmp_path / "r.jsonl"
    args = ["judge", "--problems", "examples/judge/problems.jsonl", "--samples", "examples/judge/samples.jsonl"]
    assert "compare must be one of" in one_line_error(xcoder(*args, "--out", str(out), "--compare", "fuzzy"))
    assert "--out" in one_line_error(xcoder(*args, "--out", "examples/judge/samples.jsonl"))
    assert not out.exists()
    # the options come from JudgeConfig: a field the old hand-written list lacked is there too
    proc = xcoder(
        *args, "--out", str(out), "--quiet", "--timeout", "2", "--total-timeout", "30", "--max-processes", "16"
    )
    assert proc.returncode == 0, proc.stderr


def test_judge_cli_checks_out_before_judging(tmp_path):
    # an unwritable --out is one line and exit 2 before any sample is judged
    args = ["judge", "--problems", "examples/judge/problems.jsonl", "--samples", "examples/judge/samples.jsonl"]
    proc = xcoder(*args, "--out", "/sys/xcoder-out.jsonl", "--quiet")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert (
        proc.stderr.strip().splitlines() == [proc.stderr.strip()]
        and "cannot write --out /sys/xcoder-out.jsonl" in proc.stderr
    )
    assert not Path("/sys/xcoder-out.jsonl.partial").exists()


def test_judge_cli_names_rejected_problems_and_json_arrays(tmp_path):
    problems = tmp_path / "problems.jsonl"
    write_jsonl(
        problems,
        [
            lcb_row("add", [("1 2\n", "3\n")]),
            {"question_id": "empty", "input_output": json.dumps({"inputs": [], "outputs": []})},
            {**lcb_row("broken", [("1\n", "1\n")]), "private_test_cases": "not base64 at all!"},
        ],
    )
    samples = tmp_path / "samples.jsonl"
    write_jsonl(samples, [{"question_id": q, "code_list": ["print(1)"] * 3} for q in ("add", "empty", "broken")])
    out = tmp_path / "out.jsonl"
    proc = xcoder("judge", "--problems", str(problems), "--samples", str(samples), "--out", str(out), "--quiet")
    assert proc.returncode == 1, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row in rows[1:]:
        assert f"problem {row['question_id']!r} was rejected" in row["error"], row["error"]
        assert "its 3 sample(s) were not judged" in row["error"] and "unknown question_id" not in row["error"]
    assert "unknown question_id" not in proc.stderr
    array = tmp_path / "array.json"
    array.write_text(json.dumps([lcb_row("add", [("1 2\n", "3\n")])], indent=1))
    proc = xcoder("judge", "--problems", str(array), "--samples", str(samples), "--out", str(out), "--quiet")
    assert proc.returncode == 2 and "JSON array" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
