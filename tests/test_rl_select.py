"""RL data selected by the policy's pass rate (``eval.pass_rate``, ``xcoder rl select``): the real judge on
samples files (known pass rates), the transformers backend on the tiny model (the row's own prompt,
cached samples), and the CLI's user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from eval.generate import GenerationConfig, SamplingConfig
from eval.pass_rate import SelectConfig, in_band, parse_band, select_by_pass_rate
from xcoder.judge import JudgeConfig
from xcoder.prompts import build_messages

ROOT = Path(__file__).resolve().parents[1]
ADD_IO = {"inputs": ["1 2\n", "3 4\n"], "outputs": ["3", "7"]}
RIGHT = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG = "a, b = map(int, input().split())\nprint(a - b)\n"
FENCED = f"```python\n{RIGHT}```"


def rl_row(qid: str, tests=ADD_IO, **extra) -> dict:
    return {
        "question_id": qid,
        "prompt": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Add two numbers ({qid})."},
        ],
        "input_output": json.dumps(tests) if tests is not None else "",
        "difficulty": "easy",
        **extra,
    }


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def rows_and_samples(tmp_path):
    data = write_jsonl(
        tmp_path / "rl.jsonl", [rl_row("easy"), rl_row("mixed"), rl_row("hard"), rl_row("notests", tests=None)]
    )
    samples = write_jsonl(
        tmp_path / "samples.jsonl",
        [
            {"question_id": "easy", "code_list": [RIGHT] * 4},
            {"question_id": "mixed", "code_list": [RIGHT, WRONG, "", RIGHT]},
            {"question_id": "hard", "code_list": [WRONG] * 4},
        ],
    )
    return data, samples


def config(tmp_path, data, samples, **kw) -> SelectConfig:
    return SelectConfig(
        data=str(data),
        out=str(tmp_path / "sel" / "selected.jsonl"),
        generation=GenerationConfig(backend="samples", samples_path=str(samples)),
        judge=JudgeConfig(workers=2),
        **kw,
    )


def test_band_parsing_and_membership():
    assert parse_band("0,1") == (0.0, 1.0) and parse_band(" 0.1 , 0.9") == (0.1, 0.9)
    for bad in ("1,0", "0", "a,b", "0,1.5"):
        with pytest.raises(ValueError, match="band"):
            parse_band(bad)
    assert not in_band(0.0, (0, 1), False) and not in_band(1.0, (0, 1), False) and in_band(0.5, (0, 1), False)
    assert in_band(0.0, (0, 1), True) and in_band(1.0, (0, 1), True)


def test_selection_from_samples_keeps_the_band_and_reports(tmp_path, rows_and_samples):
    data, samples = rows_and_samples
    cfg = config(tmp_path, data, samples)
    summary = select_by_pass_rate(cfg)
    assert cfg.k == 4  # from the samples file
    kept = [json.loads(line) for line in (tmp_path / "sel" / "selected.jsonl").read_text().splitlines()]
    assert [r["question_id"] for r in kept] == ["mixed"]
    assert kept[0]["pass_rate"] == 0.5 and kept[0]["difficulty"] == "easy"  # the row as it was, plus pass_rate
    assert summary["counts"] == {"kept": 1, "above_band": 1, "below_band": 1, "no_tests": 1, "unreadable_row": 0}
    assert [h["tasks"] for h in summary["histogram"]] == [1, 0, 1, 0, 1]
    assert [h["kept"] for h in summary["histogram"]] == [0, 0, 1, 0, 0]
    rates = {r["question_id"]: r for r in map(json.loads, (tmp_path / "sel/selected.pass_rates.jsonl").open())}
    assert rates["easy"]["pass_rate"] == 1.0 and rates["hard"]["passed"] == 0
    assert rates["notests"]["decision"] == "no_tests"
    report = (tmp_path / "sel" / "selected.report.md").read_text()
    assert "| 2/4 | 0.500 | 1 | 1 |" in report and "| dropped: no tests | 1 |" in report
    assert (tmp_path / "sel" / "selected.pass_rates.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    inclusive = select_by_pass_rate(config(tmp_path, data, samples, inclusive=True))
    assert inclusive["counts"]["kept"] == 3
    narrow = select_by_pass_rate(config(tmp_path, data, samples, band="0.6,1", inclusive=True))
    assert narrow["counts"] == {"kept": 1, "above_band": 0, "below_band": 2, "no_tests": 1, "unreadable_row": 0}


def test_rl_prompt_is_what_the_backends_send():
    from eval.pass_rate import rl_problem

    problem = rl_problem(rl_row("q1"), "row 1")
    assert build_messages(problem, "ignored system prompt") == rl_row("q1")["prompt"]
    assert [t.output for t in problem.tests] == ["3", "7"]


def test_selection_with_the_transformers_backend_on_the_tiny_model(tmp_path):
    from xcoder.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "model")
    data = write_jsonl(tmp_path / "rl.jsonl", [rl_row("a"), rl_row("b")])
    cfg = SelectConfig(
        data=str(data),
        out=str(tmp_path / "selected.jsonl"),
        band="0,1",
        inclusive=True,
        generation=GenerationConfig(backend="transformers", model=str(model), device="cpu"),
        sampling=SamplingConfig(n=3, temperature=1.0, top_p=1.0, max_tokens=8),
        judge=JudgeConfig(workers=2),
    )
    summary = select_by_pass_rate(cfg)
    assert summary["counts"]["kept"] == 2 and summary["k"] == 3
    gens = [json.loads(line) for line in (tmp_path / "selected.generations.jsonl").read_text().splitlines()]
    assert sorted((g["question_id"], g["sample"]) for g in gens) == [(q, i) for q in "ab" for i in range(3)]
    kept = [json.loads(line) for line in (tmp_path / "selected.jsonl").read_text().splitlines()]
    assert all(0.0 <= r["pass_rate"] <= 1.0 for r in kept)
    # A rerun with the same settings is served from the cache: it never loads the model.
    import shutil

    shutil.rmtree(model)
    assert select_by_pass_rate(cfg)["histogram"] == summary["histogram"]


def xcoder(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xcoder.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_cli_runs_from_a_config_file_with_flags_on_top(tmp_path, rows_and_samples):
    data, samples = rows_and_samples
    conf = tmp_path / "select.yaml"
    conf.write_text(
        yaml.safe_dump(
            {
                "data": str(data),
                "out": str(tmp_path / "o.jsonl"),
                "band": "0.6,1",
                "generation": {"backend": "samples", "samples_path": str(samples)},
                "judge": {"workers": 2},
            }
        )
    )
    proc = xcoder("rl", "select", "-c", str(conf), "--band", "0,1", "--k", "4")
    assert proc.returncode == 0, proc.stderr
    assert "| 2/4 | 0.500 | 1 | 1 |" in proc.stdout and "kept 1 of 4 rows" in proc.stderr


def test_cli_user_errors(tmp_path, rows_and_samples):
    data, samples = rows_and_samples
    out = str(tmp_path / "o.jsonl")
    assert "--out is required" in one_line_error(xcoder("rl", "select", "--data", str(data)))
    assert "data file not found" in one_line_error(
        xcoder(
            "rl",
            "select",
            "--data",
            str(tmp_path / "none.jsonl"),
            "--out",
            out,
            "--backend",
            "samples",
            "--samples",
            str(samples),
        )
    )
    assert "band must satisfy 0 <= LOW <= HIGH <= 1" in one_line_error(
        xcoder("rl", "select", "--data", str(data), "--out", out, "--band", "1,0")
    )
    assert "--samples FILE is required" in one_line_error(
        xcoder("rl", "select", "--data", str(data), "--out", out, "--backend", "samples")
    )
    assert "model not found" in one_line_error(
        xcoder("rl", "select", "--data", str(data), "--out", out, "--model", str(tmp_path / "nomodel"))
    )
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"question_id": "x", "prompt": "p", "input_output": ""}])
    assert "no row has usable tests" in one_line_error(
        xcoder("rl", "select", "--data", str(bad), "--out", out, "--backend", "samples", "--samples", str(samples))
    )
    assert not Path(out).exists()


# -- the pipeline's optional select stage ---------------------------------------------------------------


def test_pipeline_select_section_is_off_by_default_and_checked(tmp_path):
    from pipeline.config import load_pipeline_config
    from xcoder.config import ConfigError

    conf = tmp_path / "p.yaml"
    conf.write_text(yaml.safe_dump({"sft": {"enabled": False}, "grpo": {"enabled": False}}))
    assert load_pipeline_config(conf).select.enabled is False
    conf.write_text(yaml.safe_dump({"select": {"band": "1,0"}}))
    with pytest.raises(ConfigError, match=r"select.*band must satisfy"):
        load_pipeline_config(conf)


def select_run(tmp_path: Path, rows: list[dict], **sections):
    """A run whose verify stage exported ``rows`` and whose SFT model is the tiny base model (sft off), with
    the select stage on (2 samples of 8 tokens, every pass rate kept); its output dir, state and config."""
    from pipeline.config import PipelineConfig, SelectSection, TrainSection
    from pipeline.state import State
    from xcoder.tiny_model import build_tiny_model

    out = tmp_path / "run"
    build_tiny_model(out / "model")  # with sft off, the SFT model is the base model
    (out / "synth").mkdir(parents=True)
    write_jsonl(out / "synth" / "rl.jsonl", rows)
    state = State(out)
    state.finish("verify", "fp", 1.0, {"rl_file": "synth/rl.jsonl"})
    cfg = PipelineConfig(
        output_dir=str(out),
        sft=TrainSection(enabled=False),
        judge=JudgeConfig(workers=2),
        select=SelectSection(enabled=True, k=2, max_tokens=8, band="0,1", inclusive=True),
        **sections,
    )
    return out, state, cfg


def test_pipeline_select_stage_on_the_tiny_model(tmp_path):
    from rich.console import Console

    from pipeline.stages import stage_select

    out, state, cfg = select_run(tmp_path, [rl_row("a"), rl_row("b")])
    info = stage_select(cfg, state, Console(stderr=True))
    assert info["rl_file"] == "select/rl_selected.jsonl" and info["counts"]["kept"] == 2 and info["k"] == 2
    kept = [json.loads(line) for line in (out / info["rl_file"]).read_text().splitlines()]
    assert [r["question_id"] for r in kept] == ["a", "b"] and all("pass_rate" in r for r in kept)
    assert (out / "select" / "rl_selected.report.md").is_file()

    assert info["histogram"] == [2, 0, 0]  # an untrained model in 8 tokens solves nothing
    cfg.select.inclusive = False  # so nothing is strictly inside (0, 1)
    with pytest.raises(RuntimeError, match="widen select.band"):
        stage_select(cfg, state, Console(stderr=True))


def test_pipeline_select_stage_judges_the_corrupted_labels(tmp_path):
    """grpo.label_noise is in the RL data itself: select samples and judges the noisy rows and keeps them for
    GRPO, counts the noisy rows it kept, and writes the kept rows' clean tests for the training-task probe."""
    from rich.console import Console

    from pipeline.config import GRPOSection
    from pipeline.runner import stage_settings
    from pipeline.stages import stage_select

    tests = {"inputs": [f"{i} {i}\n" for i in range(6)], "outputs": [str(2 * i) for i in range(6)]}
    rows = [rl_row(q, tests=tests, id=f"id-{q}") for q in "abcd"]
    out, state, cfg = select_run(tmp_path, rows, grpo=GRPOSection(label_noise=0.3))
    info = stage_select(cfg, state, Console(stderr=True))

    def outputs(path):
        rows = map(json.loads, path.read_text().splitlines())
        return {r["id"]: json.loads(r["input_output"])["outputs"] for r in rows}

    noisy, kept = outputs(out / "select" / "rl_noisy.jsonl"), outputs(out / info["rl_file"])
    assert kept == noisy  # GRPO trains on (and select judged) the corrupted tests
    wrong = {i: sum(a != b for a, b in zip(noisy[i], tests["outputs"])) for i in noisy}
    assert info["corrupted_test_labels"] == info["corrupted_test_labels_kept"] == sum(wrong.values()) > 0
    assert info["noisy_rows"] == info["noisy_rows_kept"] == sum(n > 0 for n in wrong.values()) < 4
    assert all(o == tests["outputs"] for o in outputs(out / info["clean_rl_file"]).values())  # for the probe

    # The noise is part of select's fingerprint only when set, so runs without it keep theirs.
    with_noise = stage_settings(cfg)["select"]
    cfg.grpo.label_noise = 0.0
    assert stage_settings(cfg)["select"] == with_noise[:-1] and with_noise[-1] == 0.3
