"""The procedural task families: programs vs. an independent oracle, buggy candidates, determinism,
held-out disjointness, statements, records and the LCB export."""

from __future__ import annotations

import dataclasses
import json

import pytest

from data_gen.procedural import (
    FAMILIES,
    FamilyError,
    ProceduralConfig,
    get_families,
    instance_records,
    sample_instance,
    sample_instances,
)
from data_gen.procedural.families import AREAS
from data_gen.procedural.styles import FRAMINGS, STYLES, display_names, fill, framing_indices, phrasing_indices
from data_gen.records import Solution, Task, TaskTestInputs
from xcoder.judge import Judge, JudgeConfig
from xcoder.problem import Problem, TestCase, problem_from_lcb_row, problem_to_lcb_row

CFG = ProceduralConfig(tests={"small": 2, "medium": 2, "large": 1, "edge": 1}, alternatives=9, buggy=9)


@pytest.fixture(scope="module")
def judge():
    with Judge(JudgeConfig(workers=2, timeout=6.0, memory_mb=2048)) as j:
        yield j


def oracle_problem(family, style: str, index: int, split: str = "train") -> Problem:
    """The instance's tests with expected outputs from the family's body run *in this process* on
    the argument values: independent of the style's reader, printer and class wrapper, which the
    judge then exercises."""
    inst = sample_instance(family, style, split, index, CFG)
    tests = [TestCase(e.input, e.output) for e in inst.examples]
    for scale, _, seed in inst.tests:
        values = family.generate(inst.params, scale, seed)
        tests.append(TestCase(family.test_input(style, values), family.test_output(style, family.solve(values))))
    return Problem(
        inst.id, tests, fn_name=inst.fn_name, starter_code=inst.starter_code, question_content=inst.statement
    )


def test_registry_has_enough_families_and_areas():
    assert len(FAMILIES) >= 30
    assert set(AREAS) >= {"arithmetic", "strings", "arrays", "dp", "number_theory", "graphs"}
    features = json.dumps([f.features for f in FAMILIES.values()]).lower()
    for topic in (
        "sorting",
        "prefix sums",
        "two pointers",
        "greedy",
        "dynamic programming",
        "breadth-first search",
        "disjoint set union",
        "number theory",
        "sliding window",
    ):
        assert topic in features, topic
    assert sum(1 for f in FAMILIES.values() if f.buggy) >= 10


def test_reference_and_alternatives_pass_in_every_style(judge):
    pairs, labels = [], []
    for family in FAMILIES.values():
        for k, style in enumerate(STYLES):
            problem = oracle_problem(family, style, k)
            for j, body in enumerate([family.body, *family.alternatives]):
                pairs.append((problem, family.code(style, body)))
                labels.append(f"{family.name}/{style}/{'reference' if j == 0 else f'alternative {j}'}")
    results = judge.judge_batch(pairs)
    failed = [
        f"{label}: {r.verdict.value} {r.tests[-1].stderr[-200:] if r.tests else r.error}"
        for label, r in zip(labels, results)
        if not r.accepted
    ]
    assert not failed, "\n".join(failed)
    assert all(r.total >= 7 for r in results)


def test_buggy_candidates_fail_somewhere(judge):
    """Every buggy body fails at least one test over a few instances (else it is not noise)."""
    pairs, labels = [], []
    for family in FAMILIES.values():
        problems = [oracle_problem(family, style, 10 + k) for k in range(2) for style in STYLES]
        for j, body in enumerate(family.buggy):
            for p in problems:
                pairs.append((p, family.code("leetcode" if p.fn_name else "codeforces", body)))
                labels.append(f"{family.name} buggy {j}")
    results = judge.judge_batch(pairs)
    caught: dict[str, bool] = {}
    for label, r in zip(labels, results):
        assert r.verdict.value != "judge_error", label
        caught[label] = caught.get(label, False) or not r.accepted
    never = sorted(label for label, c in caught.items() if not c)
    assert not never, f"buggy solutions that never fail: {never}"


def test_sampling_is_deterministic_and_seed_dependent():
    cfg = dataclasses.replace(CFG, train_tasks=40, holdout_tasks=10)
    a = sample_instances(cfg, "train")
    b = sample_instances(cfg, "train")
    assert [(i.id, i.statement, i.tests) for i in a] == [(i.id, i.statement, i.tests) for i in b]
    c = sample_instances(dataclasses.replace(cfg, seed=1), "train")
    assert [i.statement for i in a] != [i.statement for i in c]
    # the caller's global random stream is untouched by cyaron's use of it
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    sample_instances(cfg, "holdout")
    assert random.random() == expected


def test_holdout_uses_unseen_phrasings_framings_and_instances():
    cfg = dataclasses.replace(CFG, train_tasks=400, holdout_tasks=len(FAMILIES) * 3)
    train = sample_instances(cfg, "train")
    holdout = sample_instances(cfg, "holdout")
    for family in FAMILIES.values():
        assert not set(phrasing_indices(family, "train")) & set(phrasing_indices(family, "holdout"))
    for style in STYLES:
        assert not set(framing_indices(style, "train")) & set(framing_indices(style, "holdout"))
    assert {i.phrasing for i in train if i.phrasing >= len(i.family.phrasings) - i.family.holdout} == set()
    train_text = "\n".join(i.statement for i in train)
    for inst in holdout:
        legend = fill(
            inst.family.phrasings[inst.phrasing][1], display_names(inst.family, inst.style, inst.params), "t"
        )
        assert legend in inst.statement
        assert legend not in train_text, (inst.family.name, legend)
        assert inst.framing in framing_indices(inst.style, "holdout")
    assert not {i.statement for i in holdout} & {i.statement for i in train}
    # every family appears in the held-out split, and in every style across its instances
    seen = {(i.family.name, i.style) for i in holdout}
    assert seen == {(f, s) for f in FAMILIES for s in STYLES}
    # each family's held-out phrasings are taken in turn: three rounds ask each of them once
    asked = sorted((i.family.name, i.phrasing) for i in holdout)
    assert asked == sorted((f.name, p) for f in FAMILIES.values() for p in phrasing_indices(f, "holdout"))
    assert len({i.phrasing for i in holdout if i.style == "leetcode"}) > 1  # phrasing does not follow style


def test_more_held_out_tasks_leave_the_training_tasks_unchanged():
    """The held-out split draws from its own streams: growing it cannot change what SFT and GRPO train on."""
    small = sample_instances(dataclasses.replace(CFG, train_tasks=60, holdout_tasks=3), "train")
    large = sample_instances(dataclasses.replace(CFG, train_tasks=60, holdout_tasks=300), "train")
    assert [(i.id, i.statement, i.tests) for i in small] == [(i.id, i.statement, i.tests) for i in large]


def test_every_family_has_five_training_phrasings_none_close_to_the_held_out_ones():
    """``data.rl_phrasings: 2`` must leave SFT three phrasings of every family, the held-out split asks
    each family in three unseen phrasings, and a training legend must not paraphrase a held-out one: no
    run of four words in common (words as the decontamination check reads them), and every title and
    legend of a family differs."""
    from data_gen.checks.decontam import ngrams, words

    for family in FAMILIES.values():
        assert len(phrasing_indices(family, "holdout")) == 3 and len(phrasing_indices(family, "train")) >= 5, (
            family.name
        )
        titles, legends = zip(*family.phrasings)
        assert len(set(titles)) == len(titles) and len(set(legends)) == len(legends), family.name
        held_out = set().union(
            *(ngrams(words(family.phrasings[i][1]), 4) for i in phrasing_indices(family, "holdout"))
        )
        for i in phrasing_indices(family, "train"):
            shared = ngrams(words(family.phrasings[i][1]), 4) & held_out
            assert not shared, (family.name, family.phrasings[i][0], shared)


@pytest.mark.parametrize("style", STYLES)
def test_statements_render_completely(style):
    for family in FAMILIES.values():
        for split in ("train", "holdout"):
            inst = sample_instance(family, style, split, 3, CFG)
            text = inst.statement
            assert "{" not in text and "}" not in text, (family.name, text)
            assert inst.examples[0].output.strip("\n") in text or style == "leetcode"
            if style == "leetcode":
                assert inst.fn_name == family.fn and f"def {family.fn}(self" in inst.starter_code
                assert "Example" in text or "Test case" in text
            else:
                assert inst.fn_name is None and inst.starter_code == ""


def test_records_round_trip_and_carry_provenance():
    inst = sample_instance(FAMILIES["window_max_sum"], "leetcode", "train", 0, CFG)
    task, solutions, tests = instance_records(inst, CFG)
    assert Task.from_dict(task.to_dict()) == task
    assert [Solution.from_dict(s.to_dict()) for s in solutions] == solutions
    assert TaskTestInputs.from_dict(tests.to_dict()) == tests
    assert task.provenance.source == "procedural:window_max_sum" and task.fn_name == "maxWindowSum"
    roles = [s.provenance.extra["role"] for s in solutions]
    assert roles[0] == "reference" and "buggy" in roles
    assert solutions[0].response.startswith("```python\n") and solutions[0].code in solutions[0].response
    kinds = [t.kind for t in tests.inputs]
    assert kinds[0] == "sample" and kinds.count("procedural") == sum(CFG.tests.values())
    assert len({t.id for t in tests.inputs}) == len(tests.inputs)


def test_lcb_row_round_trip():
    problem = Problem(
        "q1",
        [TestCase("1\n", "2"), TestCase("3\n", "4"), TestCase("5\n", "6")],
        fn_name="f",
        starter_code="class Solution:\n    def f(self, x: int) -> int:\n        ",
        question_content="text",
        question_title="T",
        platform="leetcode",
        difficulty="easy",
        contest_date="2025-01-01T00:00:00",
        num_public=1,
        metadata={"family": "x"},
    )
    row = problem_to_lcb_row(problem)
    assert not row["private_test_cases"].lstrip().startswith("[")  # compressed as LCB ships it
    back = problem_from_lcb_row(row)
    assert back.tests == problem.tests and back.num_public == 1 and back.fn_name == "f"
    assert back.starter_code == problem.starter_code and back.metadata["family"] == "x"


def test_bad_config_names_the_problem():
    with pytest.raises(FamilyError, match="nope"):
        ProceduralConfig(families=["nope"])
    with pytest.raises(FamilyError, match="styles"):
        ProceduralConfig(styles={"topcoder": 1.0})
    with pytest.raises(FamilyError, match="scale"):
        ProceduralConfig(tests={"huge": 1})
    assert [f.name for f in get_families(["gcd_all", "sum_mod"])] == ["sum_mod", "gcd_all"]  # registry order
    assert len(FRAMINGS["codeforces"]) >= 3
