"""What an evaluation needs to be publishable: the errata list (current, categorised, with its
version), user checkers scored beside the official score, completion statistics for reasoning
models, explicit windows and problem counts in every table, and mean ± spread across seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DatasetConfig, DatasetError, load_selection
from eval.errata import (
    CATEGORY_LABELS,
    ErrataFormatError,
    errata_document,
    errata_version,
    load_errata,
    load_errata_document,
    parse_errata_markdown,
)
from eval.errata import (
    main as errata_main,
)
from eval.generate import Generation, GenerationConfig, SamplingConfig
from eval.report import paper_table, problems_label, summary_row
from eval.runner import EvalConfig, run_eval
from eval.seeds import aggregate, seeds_markdown, spread
from eval.stats import completion_stats
from xcoder.judge import JudgeConfig
from xcoder.llm.testing import FakeChatServer, Reply

FIXTURE = Path(__file__).parent / "fixtures" / "lcb_mini"
SOL = json.loads((FIXTURE / "solutions.json").read_text())

# An ERRATA.md in LCB's layout (our own text): a heading per category, numbered "id - note" lines.
ERRATA_MD = """# Errata

Some words about the list.

## Multiple Solutions Accepted

3 problems accept several outputs.

1. abc001_a - Multiple solutions accepted
2. two-sum-any - Any valid pair

## Interactive Problems

1. abc002_b - Interactive problem

## Erroneous Test Cases

1. abc003_c - Erroneous test cases
2. weird-input - Adversarial input not following constraints
"""


def test_errata_markdown_parsed_by_section():
    entries = parse_errata_markdown(ERRATA_MD)
    assert [(e["question_id"], e["category"]) for e in entries] == [
        ("abc001_a", "multiple_solutions"),
        ("two-sum-any", "multiple_solutions"),
        ("abc002_b", "interactive"),
        ("abc003_c", "erroneous_tests"),
        ("weird-input", "erroneous_tests"),
    ]
    assert entries[1]["note"] == "Any valid pair" and entries[4]["section"] == "Erroneous Test Cases"
    with pytest.raises(ErrataFormatError, match="unknown errata section 'Flaky Judges'"):
        parse_errata_markdown(ERRATA_MD + "\n## Flaky Judges\n\n1. x - y\n")
    with pytest.raises(ErrataFormatError, match="listed twice"):
        parse_errata_markdown(ERRATA_MD + "3. abc001_a - again\n")
    doc = errata_document(entries, "abc123", "2025-07-08")
    assert doc["source"] == {"url": doc["source"]["url"], "commit": "abc123", "date": "2025-07-08", "entries": 5}


def test_errata_update_command_rewrites_the_json(tmp_path, capsys):
    md = tmp_path / "ERRATA.md"
    md.write_text(ERRATA_MD)
    out = tmp_path / "errata.json"
    assert errata_main([str(md), "--commit", "deadbeef", "--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert len(doc["problems"]) == 5 and doc["source"]["commit"] == "deadbeef"
    assert "5 entries (2 multiple_solutions, 1 interactive, 2 erroneous_tests)" in capsys.readouterr().out
    md.write_text("nothing numbered here\n")
    assert errata_main([str(md), "--output", str(out)]) == 2


def test_shipped_errata_is_the_current_list():
    table = load_errata()
    assert len(table) == 17
    by_cat = {c: sorted(q for q, e in table.items() if e["category"] == c) for c in CATEGORY_LABELS}
    assert len(by_cat["multiple_solutions"]) == 11 and {"arc185_c", "abc343_a"} <= set(by_cat["multiple_solutions"])
    assert by_cat["interactive"] == ["abc337_e", "abc355_e"]
    assert by_cat["erroneous_tests"] == [
        "abc350_c",
        "apply-operations-to-make-string-empty",
        "arc189_a",
        "most-frequent-ids",
    ]
    assert all(e["note"] and e["reason"] and e["section"] for e in table.values())
    assert table["most-frequent-ids"]["note"].startswith("Adversarian input")  # LCB's own words, typo included
    assert load_errata_document()["source"]["commit"].startswith("716024c")
    assert errata_version().startswith("17 entries, commit 716024c40722")


def write_samples(path: Path, pattern: dict[str, list[str]]) -> Path:
    path.write_text("".join(json.dumps({"question_id": q, "code_list": c}) + "\n" for q, c in pattern.items()))
    return path


def samples_cfg(tmp_path: Path, samples: Path, **dataset) -> EvalConfig:
    return EvalConfig(
        dataset=DatasetConfig(str(FIXTURE), **dataset),
        output_dir=str(tmp_path / "out"),
        generation=GenerationConfig(backend="samples", samples_path=str(samples)),
        sampling=SamplingConfig(n=4),
        judge=JudgeConfig(timeout=5.0, workers=2),
    )


def test_checkers_score_beside_the_official_one_and_errata_side_by_side(tmp_path):
    checkers = tmp_path / "checkers"
    checkers.mkdir()
    # fx002 stands in for a problem with several valid answers: the checker accepts any single integer.
    (checkers / "fx002.py").write_text(
        "def check(input, output, expected):\n    return output.strip().lstrip('-').isdigit()\n"
    )
    # fx001's checker is as strict as the tests: nothing changes there.
    (checkers / "fx001.py").write_text(
        "def check(input, output, expected):\n    return output.split() == expected.split()\n"
    )
    samples = write_samples(
        tmp_path / "s.jsonl",
        {
            "fx001": [SOL["fx001"]["correct"], SOL["fx001"]["wrong"]] * 2,
            "fx002": [SOL["fx002"]["correct"]] + [SOL["fx002"]["wrong"]] * 3,
            "abc337_e": [SOL["abc337_e"]["correct"]] * 4,  # on the errata list
        },
    )
    cfg = samples_cfg(tmp_path, samples, question_ids=("fx001", "fx002", "abc337_e"), checkers=str(checkers))
    res = run_eval(cfg)
    assert res["overall"]["avg@4"] == pytest.approx((0.5 + 0.25 + 1.0) / 3)  # official: the tests decide
    v = res["variants"]["checkers"]
    assert v["label"] == "checker-corrected" and v["rejudged_problems"] == 2
    assert v["overall"]["avg@4"] == pytest.approx((0.5 + 1.0 + 1.0) / 3)
    assert v["differing_samples"] == 3 and v["differing_problems"] == ["fx002"]
    assert v["differing_by_reason"] == {"checker accepts another valid answer": 3}
    assert res["overall_without_errata"]["avg@4"] == pytest.approx((0.5 + 0.25) / 2)
    assert res["selection"]["checkers"] == ["fx001", "fx002"]
    rows = {
        r["question_id"]: r for r in map(json.loads, (tmp_path / "out" / "samples.jsonl").read_text().splitlines())
    }
    assert rows["fx002"]["graded_by_variant"]["checkers"] == [True] * 4
    md = (tmp_path / "out" / "report.md").read_text()
    assert (
        "| official | 58.3 |" in md
        and "| checker-corrected | 83.3 |" in md
        and "| without errata problems | 37.5 |" in md
    )
    assert "3 samples (checker accepts another valid answer: 3 samples)" in md
    assert "| abc337_e | interactive | Interactive problem |" in md and "Errata list: 17 entries" in md
    # a resumed run judges nothing again and gives the same numbers
    assert run_eval(cfg)["variants"]["checkers"]["overall"] == v["overall"]
    (checkers / "fx999.py").write_text("def check(i, o, e):\n    return True\n")
    with pytest.raises(DatasetError, match="no selected problem for fx999.py"):
        load_selection(DatasetConfig(str(FIXTURE), checkers=str(checkers)))


def test_completion_stats_by_outcome():
    gens = {
        ("a", 0): Generation("a", 0, "x", "stop", 100),
        ("a", 1): Generation("a", 1, "x", "length", 400),
        ("b", 0): Generation("b", 0, "x", "stop", 50),
        ("b", 1): Generation("b", 1, "x", "length", 400),
    }
    rows = [
        {"question_id": "a", "verdicts": ["accepted", "no_code"]},
        {"question_id": "b", "verdicts": ["wrong_answer", "no_code"]},
    ]
    s = completion_stats(gens, rows)
    assert s["truncated"] == 2 and s["truncation_rate"] == 0.5 and s["truncated_by_outcome"] == {"no_code": 2}
    assert s["by_outcome"]["no_code"] == {"samples": 2, "mean_tokens": 400}
    assert s["by_outcome"]["accepted"]["mean_tokens"] == 100 and s["mean_tokens"] == 237.5
    samples_file = {("a", 0): Generation("a", 0, "x", code="print(1)")}  # no finish reason: nothing to say
    assert completion_stats(samples_file, rows[:1])["truncation_rate"] is None


def test_every_table_names_its_window_and_problem_count():
    results = {
        "name": "m",
        "n": 1,
        "overall": {"num_problems": 279, "avg@1": 0.5, "pass@1": 0.5},
        "by_difficulty": {},
        "selection": {"benchmark": "lcb", "window": {"name": "v5", "start": "2024-08-01", "end": "2025-02-01"}},
    }
    assert problems_label(results) == "v5: 2024-08-01 – 2025-02-01, 279 problems"
    assert "| v5: 2024-08-01 – 2025-02-01, 279 problems |" in paper_table([summary_row(results)])
    results["selection"] = {"benchmark": "mbpp", "window": None}
    assert problems_label(results) == "MBPP, 279 problems"


def test_seed_spread():
    s = spread([0.5, 0.6, 0.7])
    assert s["mean"] == pytest.approx(0.6) and s["std"] == pytest.approx(0.1) and (s["min"], s["max"]) == (0.5, 0.7)
    assert spread([0.4])["std"] == 0.0
    with pytest.raises(ValueError, match="comma-separated integers"):
        EvalConfig(dataset=DatasetConfig("x"), output_dir="o", seeds="0,a")
    with pytest.raises(ValueError, match="distinct"):
        EvalConfig(dataset=DatasetConfig("x"), output_dir="o", seeds="1,1")
    assert EvalConfig(dataset=DatasetConfig("x"), output_dir="o", seeds=" 0, 1,2").seed_values() == [0, 1, 2]


def test_seeds_run_once_per_seed_with_mean_and_spread(tmp_path):
    """Three run seeds against a served 'model' that is right exactly when a sample's seed is even:
    each seed's run gets its own per-sample seeds, so the scores differ and the spread is real."""
    from xcoder.hashing import seed_from_text

    content = {
        json.loads(line)["question_id"]: json.loads(line)["question_content"]
        for line in (FIXTURE / "test.jsonl").read_text().splitlines()
    }

    def solver(call):
        qid = next(q for q, text in content.items() if text.strip() and text.strip() in call.last_user)
        code = SOL[qid]["correct" if call.body["seed"] % 2 == 0 else "wrong"]
        return Reply(f"```python\n{code}```\n", finish_reason="stop")

    ids = ("fx001", "fx002")
    with FakeChatServer(solver) as server:
        cfg = EvalConfig(
            dataset=DatasetConfig(str(FIXTURE), question_ids=ids),
            output_dir=str(tmp_path / "out"),
            generation=GenerationConfig(backend="openai", model="fake", base_url=server.url),
            sampling=SamplingConfig(n=4, max_tokens=64),
            judge=JudgeConfig(timeout=5.0, workers=2),
            seeds="0,1,2",
        )
        from eval.seeds import run_seeds

        agg = run_seeds(cfg)
    expected = []
    for run_seed in (0, 1, 2):
        per_problem = [sum(seed_from_text(f"{run_seed}:{q}:{i}") % 2 == 0 for i in range(4)) / 4 for q in ids]
        expected.append(sum(per_problem) / len(per_problem))
    m = agg["metrics"]["avg@4"]
    assert m["values"] == pytest.approx(expected) and m["mean"] == pytest.approx(sum(expected) / 3)
    assert agg["seeds"] == [0, 1, 2] and agg["num_problems"] == 2
    for s in (0, 1, 2):
        assert (
            json.loads((tmp_path / "out" / f"seed_{s}" / "eval_results.json").read_text())["config"]["sampling"][
                "seed"
            ]
            == s
        )
    md = (tmp_path / "out" / "seeds.md").read_text()
    assert md == seeds_markdown(json.loads((tmp_path / "out" / "seeds.json").read_text()))
    assert (
        f"| avg@4 | {100 * m['mean']:.1f} ± {100 * m['std']:.1f} |" in md
        and "LiveCodeBench, all dates, 2 problems" in md
    )
    res0 = json.loads((tmp_path / "out" / "seed_0" / "eval_results.json").read_text())
    assert res0["completions"]["truncation_rate"] == 0.0 and res0["completions"]["mean_tokens"] > 0
    assert aggregate({0: res0})["metrics"]["avg@4"]["std"] == 0.0
