"""The ``transformers`` backend with the tiny local model (random weights: it writes no working
code, so every sample scores 0 — the point is the real generation path: chat template, seeded
sampling, caching and resume). Judging and exact scores are covered by the samples/openai tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DatasetConfig
from eval.generate import GenerationConfig, GenerationError, SamplingConfig
from eval.runner import EvalConfig, run_eval
from xcoder.judge import JudgeConfig

FIXTURE = Path(__file__).parent / "fixtures" / "lcb_mini"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    from xcoder.tiny_model import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "model"))


def cfg(model: str, out: Path, **kw) -> EvalConfig:
    return EvalConfig(
        dataset=DatasetConfig(str(FIXTURE), question_ids=("fx001", "fx-max-gap")),
        output_dir=str(out),
        generation=GenerationConfig(backend="transformers", model=model, batch_size=2),
        sampling=SamplingConfig(n=3, max_tokens=12, seed=kw.pop("seed", 0)),
        judge=JudgeConfig(workers=1),
        **kw,
    )


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_generate_score_report_and_resume(tiny_model, tmp_path):
    res = run_eval(cfg(tiny_model, tmp_path / "a", name="tiny"))
    gens = lines(tmp_path / "a" / "generations.jsonl")
    assert sorted((g["question_id"], g["sample"]) for g in gens) == [
        (q, i) for q in ("fx-max-gap", "fx001") for i in range(3)
    ]
    assert all(g["num_tokens"] <= 12 and g["finish_reason"] in ("stop", "length") for g in gens)
    assert len({g["output"] for g in gens}) > 1  # sampled, not greedy copies
    assert res["overall"]["num_problems"] == 2 and res["overall"]["avg@3"] == 0.0
    assert sum(res["verdicts"].values()) == 6
    assert (tmp_path / "a" / "report.md").read_text().count("| tiny |") == 1
    assert (tmp_path / "a" / "difficulty.png").exists()

    # Same seed, fresh directory: identical samples (seeded per problem and batch).
    run_eval(cfg(tiny_model, tmp_path / "b"))
    assert sorted(map(json.dumps, lines(tmp_path / "b" / "generations.jsonl"))) == sorted(map(json.dumps, gens))

    # Simulate a kill: keep 2 whole rows and half of the third; the rerun fills in the rest
    # with exactly the samples an uninterrupted run produced.
    cache = tmp_path / "b" / "generations.jsonl"
    kept = cache.read_text().splitlines(keepends=True)
    cache.write_text("".join(kept[:2]) + kept[2][: len(kept[2]) // 2])
    (tmp_path / "b" / "eval_results.json").unlink()
    again = run_eval(cfg(tiny_model, tmp_path / "b"))
    assert sorted(map(json.dumps, lines(cache))) == sorted(map(json.dumps, gens))
    assert again["overall"] == res["overall"]

    # Another seed gives other samples.
    run_eval(cfg(tiny_model, tmp_path / "c", seed=1))
    assert sorted(map(json.dumps, lines(tmp_path / "c" / "generations.jsonl"))) != sorted(map(json.dumps, gens))


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(GenerationError, match="model not found"):
        run_eval(cfg(str(tmp_path / "nope"), tmp_path / "out"))


def test_packed_problems_reproduce_resume_and_match_unpacked_greedy(tiny_model, tmp_path):
    """batch_size 6 with n 3 samples both problems in one left-padded call. Packs are cut from the
    whole problem list, so a killed run resumes with exactly the samples an uninterrupted one drew;
    and greedy decoding gives each problem the text it gets alone, so padding changes nothing."""
    import dataclasses

    def packed(out: Path, **sampling) -> EvalConfig:
        c = cfg(tiny_model, out)
        return dataclasses.replace(
            c,
            generation=dataclasses.replace(c.generation, batch_size=6),
            sampling=dataclasses.replace(c.sampling, **sampling),
        )

    run_eval(packed(tmp_path / "a"))
    gens = lines(tmp_path / "a" / "generations.jsonl")
    assert sorted((g["question_id"], g["sample"]) for g in gens) == [
        (q, i) for q in ("fx-max-gap", "fx001") for i in range(3)
    ]
    assert all(g["num_tokens"] <= 12 for g in gens) and len({g["output"] for g in gens}) > 1

    # A kill that kept one problem whole and one sample of the other: the rerun regenerates the pack
    # and reports the two missing samples, identical to those of the uninterrupted run.
    cache = tmp_path / "a" / "generations.jsonl"
    by_q = sorted(cache.read_text().splitlines(keepends=True), key=lambda x: json.loads(x)["question_id"])
    cache.write_text("".join(by_q[:4]))
    (tmp_path / "a" / "eval_results.json").unlink()
    run_eval(packed(tmp_path / "a"))
    assert sorted(map(json.dumps, lines(cache))) == sorted(map(json.dumps, gens))

    # Packed samples are drawn per pack, so they differ from the per-problem ones of batch_size 2.
    run_eval(cfg(tiny_model, tmp_path / "b"))
    assert sorted(map(json.dumps, lines(tmp_path / "b" / "generations.jsonl"))) != sorted(map(json.dumps, gens))

    # Greedy: each problem of a left-padded pack gets the text it gets alone (the padding is masked).
    # One statement is made much longer than the other, so the short prompt gets many pad tokens.
    from eval.dataset import load_files
    from eval.generate import Job, TransformersBackend

    short, other = load_files([FIXTURE / "test.jsonl"])[0][:2]
    long = dataclasses.replace(other, question_content=other.question_content + " Read it all." * 40)
    greedy = SamplingConfig(n=1, temperature=0.0, max_tokens=12)

    def texts(batch_size: int) -> dict[str, str]:
        got: dict[str, str] = {}
        backend = TransformersBackend(
            GenerationConfig(backend="transformers", model=tiny_model, batch_size=batch_size), greedy
        )
        backend.generate([Job(short, [0]), Job(long, [0])], lambda g: got.__setitem__(g.question_id, g.output))
        return got

    assert texts(2) == texts(1) and len(texts(1)) == 2
