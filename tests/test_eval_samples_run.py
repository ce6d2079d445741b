"""End to end on the bundled fixture with a ``samples`` run: load -> judge (the real judge) ->
score -> report, with a known pattern of right and wrong programs whose scores are computed by
hand below."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval.dataset import DatasetConfig, EmptySelectionError
from eval.generate import GenerationConfig, GenerationError, SamplingConfig
from eval.report import compare_runs
from eval.runner import EvalConfig, RunStateError, run_eval
from xcoder.judge import JudgeConfig

FIXTURE = Path(__file__).parent / "fixtures" / "lcb_mini"
ROOT = Path(__file__).resolve().parents[1]
SOL = json.loads((FIXTURE / "solutions.json").read_text())


def right(q: str) -> str:
    return SOL[q]["correct"]


def wrong(q: str) -> str:
    return SOL[q]["wrong"]


# n = 4. c = correct samples per problem.
PATTERN = {
    "fx001": [right("fx001")] * 4,  # easy atcoder, c=4
    "fx002": [right("fx002")] + [wrong("fx002")] * 3,  # medium atcoder, c=1
    "fx-max-gap": [wrong("fx-max-gap")] * 2 + ["", "def broken(:\n"],  # easy leetcode, c=0 (no code, syntax error)
    "fx-longest-run-k": [right("fx-longest-run-k"), wrong("fx-longest-run-k")] * 2,  # hard leetcode, c=2
    "fx005": [right("fx005"), wrong("fx005")],  # medium codeforces, c=1, two samples missing
    "fx006": [right("fx006")] * 3 + [wrong("fx006")],  # hard codeforces, c=3
    # fx-rotation-check (medium leetcode): absent from the file -> 4 failures
    "abc337_e": [wrong("abc337_e")] * 3 + [right("abc337_e")],  # easy atcoder (errata id), c=1
    "not-in-dataset": ["print(1)"],
}


def write_samples(path: Path, pattern: dict[str, list[str]]) -> Path:
    path.write_text("".join(json.dumps({"question_id": q, "code_list": c}) + "\n" for q, c in pattern.items()))
    return path


def config(tmp_path: Path, samples: Path, out: str = "out", n: int = 4, **kw) -> EvalConfig:
    return EvalConfig(
        dataset=DatasetConfig(str(FIXTURE), **kw.pop("dataset", {})),
        output_dir=str(tmp_path / out),
        generation=GenerationConfig(backend="samples", samples_path=str(samples)),
        sampling=SamplingConfig(n=n),
        judge=JudgeConfig(timeout=5.0, workers=2),
        **kw,
    )


@pytest.fixture(scope="module")
def samples_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("samples_run")
    samples = write_samples(tmp / "samples.jsonl", PATTERN)
    cfg = config(tmp, samples, name="pattern")
    return tmp, cfg, run_eval(cfg)


def test_exact_scores_for_a_known_pattern(samples_run):
    _, _, res = samples_run
    o = res["overall"]
    assert o["num_problems"] == 8 and o["num_samples"] == 32
    # c/n: 1, .25, 0, .5, .25, .75, 0, .25 -> sum 3.0 over 8 problems
    assert o["avg@4"] == pytest.approx(3.0 / 8)
    assert o["pass@1"] == pytest.approx(3.0 / 8)
    # pass@2 = 1 - C(n-c,2)/C(4,2): c=4 -> 1, c=1 -> 1/2, c=0 -> 0, c=2 -> 5/6, c=3 -> 1
    assert o["pass@2"] == pytest.approx((1 + 0.5 + 0 + 5 / 6 + 0.5 + 1 + 0 + 0.5) / 8)
    assert o["pass@4"] == pytest.approx(6 / 8)
    assert set(k for k in o if k.startswith("pass@")) == {"pass@1", "pass@2", "pass@4"}
    d = res["by_difficulty"]
    assert d["easy"]["avg@4"] == pytest.approx((1 + 0 + 0.25) / 3)
    assert d["medium"]["avg@4"] == pytest.approx((0.25 + 0.25 + 0) / 3)
    assert d["hard"]["avg@4"] == pytest.approx((0.5 + 0.75) / 2)
    assert d["hard"]["pass@4"] == 1.0
    p = res["by_platform"]
    assert p["atcoder"]["avg@4"] == pytest.approx(0.5)
    assert p["leetcode"]["avg@4"] == pytest.approx(1 / 6)
    assert p["codeforces"]["avg@4"] == pytest.approx(0.5)
    assert res["overall_without_errata"]["avg@4"] == pytest.approx(2.75 / 7)
    lo, hi = o["avg@4_ci95"]
    assert lo < o["avg@4"] < hi


def test_outcomes_missing_and_warnings(samples_run):
    _, _, res = samples_run
    assert res["verdicts"] == {"accepted": 12, "missing": 6, "no_code": 1, "runtime_error": 1, "wrong_answer": 12}
    assert res["missing_problems"] == ["fx-rotation-check"]
    assert any("6 sample(s) missing" in w for w in res["warnings"])
    assert any("1 problem(s) in the samples file are not in the selection" in w for w in res["warnings"])
    assert res["selection"]["errata_in_selection"] == ["abc337_e"]


def test_output_files(samples_run):
    tmp, cfg, res = samples_run
    out = Path(cfg.output_dir)
    on_disk = json.loads((out / "eval_results.json").read_text())
    assert on_disk["overall"] == res["overall"]
    assert set(on_disk) >= {"overall", "by_difficulty", "by_platform", "config"}
    rows = {r["question_id"]: r for r in map(json.loads, (out / "samples.jsonl").read_text().splitlines())}
    assert list(rows) == [
        "fx001",
        "fx002",
        "fx-max-gap",
        "fx-longest-run-k",
        "fx005",
        "fx006",
        "fx-rotation-check",
        "abc337_e",
    ]
    assert rows["fx-longest-run-k"]["graded_list"] == [True, False, True, False]
    assert rows["fx005"]["verdicts"] == ["accepted", "wrong_answer", "missing", "missing"]
    assert rows["fx-max-gap"]["verdicts"] == ["wrong_answer", "wrong_answer", "no_code", "runtime_error"]
    assert rows["abc337_e"]["errata"]["category"] == "interactive"
    assert len(rows["fx001"]["code_list"]) == 4 and rows["fx001"]["code_list"][0] == right("fx001")

    md = (out / "report.md").read_text()
    assert "| Model | Easy | Medium | Hard | Overall avg@4 | pass@4 |" in md
    assert "| pattern | 41.7 | 16.7 | 62.5 | 37.5 | 75.0 |" in md
    assert "abc337_e" in md and "missing" in md
    with open(out / "report.csv") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row == {
        "model": "pattern",
        "n": "4",
        "num_problems": "8",
        "easy": "41.7",
        "medium": "16.7",
        "hard": "62.5",
        "overall": "37.5",
        "pass@n": "75.0",
    }
    _assert_png(out / "difficulty.png")


def _assert_png(path: Path) -> None:
    import matplotlib.image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 300


def test_rerun_reuses_cached_verdicts_and_is_identical(samples_run):
    tmp, cfg, first = samples_run
    out = Path(cfg.output_dir)
    verdict_lines = (out / "verdicts.jsonl").read_text()
    again = run_eval(cfg)
    assert (out / "verdicts.jsonl").read_text() == verdict_lines  # nothing re-judged
    for key in ("overall", "by_difficulty", "by_platform", "verdicts"):
        assert again[key] == first[key]


def test_changed_settings_refuse_then_overwrite(samples_run, tmp_path):
    tmp, cfg, _ = samples_run
    import dataclasses

    other = dataclasses.replace(cfg, extract_mode="first")
    with pytest.raises(RunStateError, match="extract_mode"):
        run_eval(other)
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(cfg.output_dir, copy)
    res = run_eval(dataclasses.replace(other, output_dir=str(copy), overwrite=True))
    assert res["overall"]["avg@4"] == pytest.approx(3.0 / 8)


def test_compare_two_runs(samples_run, tmp_path):
    tmp, cfg, _ = samples_run
    all_right = write_samples(tmp_path / "right.jsonl", {q: [s["correct"]] * 4 for q, s in SOL.items()})
    res = run_eval(config(tmp_path, all_right, out="right", name="oracle"))
    assert res["overall"]["avg@4"] == 1.0
    text = compare_runs([cfg.output_dir, tmp_path / "right"], tmp_path / "cmp")
    assert "| pattern | 41.7 | 16.7 | 62.5 | 37.5 | 75.0 |" in text
    assert "| oracle | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 |" in text
    _assert_png(tmp_path / "cmp" / "compare.png")
    assert len((tmp_path / "cmp" / "compare.csv").read_text().splitlines()) == 3
    with pytest.raises(FileNotFoundError, match="no eval_results.json"):
        compare_runs([tmp_path], tmp_path / "cmp2")


def test_bad_inputs(tmp_path):
    samples = write_samples(tmp_path / "s.jsonl", PATTERN)
    with pytest.raises(EmptySelectionError):
        run_eval(config(tmp_path, samples, dataset={"start_date": "2031-01-01"}))
    with pytest.raises(GenerationError, match="samples file not found"):
        run_eval(config(tmp_path, tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question_id": "fx001", "code_list": ["x"]}\n{"question_id": "fx002", "code_list": "print(1)"}\n')
    with pytest.raises(GenerationError, match=r"bad.jsonl:2: field 'code_list' must be a list of strings"):
        run_eval(config(tmp_path, bad, out="bad"))
    bad.write_text('{"question_id": "fx001", "code_list": ["x"]}\n{"question_id": "fx001", "code_list": ["y"]}\n')
    with pytest.raises(GenerationError, match="appears twice"):
        run_eval(config(tmp_path, bad, out="bad"))


def test_output_list_only_is_extracted(tmp_path):
    fenced = "Here you go:\n```python\n" + right("fx001") + "```\n"
    think = "<think>\n```python\nprint('draft')\n```\n</think>\n" + fenced
    samples = tmp_path / "raw.jsonl"
    samples.write_text(
        json.dumps({"question_id": "fx001", "output_list": [fenced, think, "no code", "<think>cut"]}) + "\n"
    )
    res = run_eval(config(tmp_path, samples, dataset={"question_ids": ("fx001",)}))
    assert res["overall"]["avg@4"] == 0.5
    assert res["verdicts"] == {"accepted": 2, "no_code": 2}


def test_cli_entry_point(tmp_path):
    """The documented invocation, through the installed `xcoder` front door."""
    samples = write_samples(tmp_path / "s.jsonl", {q: [s["correct"]] * 6 + [s["wrong"]] * 2 for q, s in SOL.items()})
    cmd = [
        sys.executable,
        "-m",
        "xcoder.cli",
        "eval",
        "--model",
        "oracle-ish",
        "--backend",
        "samples",
        "--samples",
        str(samples),
        "--dataset",
        str(FIXTURE),
        "--preset",
        "v5",
        "--n",
        "8",
        "--output-dir",
        str(tmp_path / "cli"),
        "--judge-workers",
        "2",
    ]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    # v5 window: fx002 (medium), fx-max-gap (easy), fx-longest-run-k (hard), fx005 (medium); 6/8 right each
    assert "| oracle-ish | 75.0 | 75.0 | 75.0 | 75.0 | 100.0 |" in out.stdout
    res = json.loads((tmp_path / "cli" / "eval_results.json").read_text())
    assert res["overall"]["num_problems"] == 4 and res["overall"]["avg@8"] == 0.75
    assert res["overall"]["pass@2"] == pytest.approx(1 - 1 / 28)  # C(2,2)/C(8,2)

    cmp = subprocess.run(
        [
            sys.executable,
            "-m",
            "xcoder.cli",
            "eval",
            "compare",
            str(tmp_path / "cli"),
            "--output-dir",
            str(tmp_path / "cmp"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cmp.returncode == 0, cmp.stderr
    assert "| oracle-ish | 75.0 |" in cmp.stdout and (tmp_path / "cmp" / "compare.png").exists()

    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "xcoder.cli",
            "eval",
            "--backend",
            "transformers",
            "--model",
            str(tmp_path / "no-such-model"),
            "--dataset",
            str(FIXTURE),
            "--output-dir",
            str(tmp_path / "x"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "model not found" in bad.stderr
    empty = subprocess.run(
        [
            sys.executable,
            "-m",
            "xcoder.cli",
            "eval",
            "--backend",
            "samples",
            "--samples",
            str(samples),
            "--dataset",
            str(FIXTURE),
            "--difficulty",
            "impossible",
            "--output-dir",
            str(tmp_path / "y"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert empty.returncode == 2 and "no problems selected" in empty.stderr


def test_more_samples_than_n_uses_the_first_n(tmp_path):
    samples = write_samples(
        tmp_path / "long.jsonl", {"fx001": [right("fx001")] * 2 + [wrong("fx001")] * 2 + [right("fx001")] * 2}
    )
    res = run_eval(config(tmp_path, samples, dataset={"question_ids": ("fx001",)}))
    assert res["overall"]["avg@4"] == 0.5
    assert any("more than n=4 samples" in w for w in res["warnings"])


def test_n_comes_from_the_samples_file(tmp_path):
    samples = write_samples(
        tmp_path / "two.jsonl", {"fx001": [right("fx001"), wrong("fx001")], "fx002": [right("fx002"), wrong("fx002")]}
    )
    base = [
        sys.executable,
        "-m",
        "xcoder.cli",
        "eval",
        "--backend",
        "samples",
        "--samples",
        str(samples),
        "--dataset",
        str(FIXTURE),
        "--question-id",
        "fx001",
        "--question-id",
        "fx002",
        "--timeout",
        "5",
    ]
    proc = subprocess.run(
        base + ["--output-dir", str(tmp_path / "a")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads((tmp_path / "a" / "eval_results.json").read_text())
    assert res["n"] == 2 and res["overall"]["avg@2"] == 0.5
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line.lower()]
    assert len(warnings) == len(set(warnings))  # each warning once
    bad = subprocess.run(
        base + ["--n", "8", "--output-dir", str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "--n 8 disagrees" in bad.stderr and "fx001 has 2" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "b" / "eval_results.json").exists()
