"""eval.paired: paired bootstrap comparison of two models on the same problems."""

import json

import pytest

from eval.paired import (
    PairedRun,
    average_runs,
    between_runs,
    compare_dirs,
    main,
    paired_bootstrap,
    per_problem_scores,
    sign_test,
)


def _write_samples(d, scores):
    d.mkdir(parents=True)
    with (d / "samples.jsonl").open("w") as f:
        for q, graded in scores.items():
            f.write(json.dumps({"question_id": q, "graded_list": graded}) + "\n")
    return d


def test_identical_models_give_a_zero_width_interval_at_zero():
    a = {f"p{i}": (i % 9) / 8 for i in range(50)}
    res = paired_bootstrap(PairedRun(a, dict(a)), resamples=2000, seed=1)
    assert res.diff == 0 and res.ci_low == 0 and res.ci_high == 0
    assert (res.up, res.down, res.unchanged) == (0, 0, 50)
    assert res.sign_test_p == 1.0 and not res.significant


def test_constant_improvement_is_exact():
    a = {f"p{i}": 0.25 for i in range(10)}
    b = {f"p{i}": 0.5 for i in range(10)}
    res = paired_bootstrap(PairedRun(a, b), resamples=500)
    assert res.diff == pytest.approx(0.25) and res.ci_low == pytest.approx(0.25) and res.ci_high == pytest.approx(0.25)
    assert (res.up, res.down, res.unchanged) == (10, 0, 0) and res.significant


def test_two_problems_by_hand():
    # Differences 0 and 1: a resample of two problems has mean 0, 0.5 or 1 with chance 1/4, 1/2, 1/4,
    # so the 2.5% and 97.5% quantiles are 0 and 1, and about half the resamples have mean 0.5.
    a, b = {"x": 0.5, "y": 0.0}, {"x": 0.5, "y": 1.0}
    res = paired_bootstrap(PairedRun(a, b), resamples=20_000, seed=3)
    assert res.diff == 0.5 and res.mean_a == 0.25 and res.mean_b == 0.75
    assert res.ci_low == 0.0 and res.ci_high == 1.0
    assert (res.up, res.down, res.unchanged) == (1, 0, 1)


def test_deterministic_in_seed_and_interval_brackets_the_mean():
    import random

    rng = random.Random(0)
    a = {f"p{i}": rng.randint(0, 8) / 8 for i in range(200)}
    b = {k: min(1.0, v + rng.choice([0, 0, 0.125, -0.125, 0.25])) for k, v in a.items()}
    r1 = paired_bootstrap(PairedRun(a, b), seed=7)
    r2 = paired_bootstrap(PairedRun(a, b), seed=7)
    r3 = paired_bootstrap(PairedRun(a, b), seed=8)
    assert r1 == r2  # same seed, same interval; another seed, nearly the same one
    assert abs(r1.ci_low - r3.ci_low) < 0.005 and abs(r1.ci_high - r3.ci_high) < 0.005
    assert r1.ci_low < r1.diff < r1.ci_high
    assert r1.up + r1.down + r1.unchanged == 200


def test_pooled_runs_are_stratified_and_weighted_by_problem():
    # Run 1 (2 problems) always +1, run 2 (2 problems) always 0: every stratified resample has mean 0.5,
    # an unstratified one would not.
    r1 = PairedRun({"a": 0.0, "b": 0.0}, {"a": 1.0, "b": 1.0})
    r2 = PairedRun({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5})  # same ids as run 1: kept apart
    res = paired_bootstrap([r1, r2], resamples=1000)
    assert res.num_runs == 2 and res.num_problems == 4
    assert res.diff == 0.5 and res.ci_low == pytest.approx(0.5) and res.ci_high == pytest.approx(0.5)


def test_mismatched_problems_are_an_error():
    with pytest.raises(ValueError, match="different problems"):
        paired_bootstrap(PairedRun({"a": 1.0}, {"b": 1.0}))
    with pytest.raises(ValueError, match="different problems"):
        average_runs([{"a": 1.0}, {"b": 1.0}])


def test_average_runs():
    assert average_runs([{"a": 0.0, "b": 1.0}, {"a": 0.5, "b": 1.0}]) == {"a": 0.25, "b": 1.0}


def test_sign_test_by_hand():
    assert sign_test(0, 0) == 1.0
    assert sign_test(3, 0) == pytest.approx(2 / 8)  # 2 * (1/2)^3
    assert sign_test(1, 3) == pytest.approx(2 * 5 / 16)  # 2 * (C(4,0) + C(4,1)) / 16
    assert sign_test(5, 5) == 1.0
    # Pooled over many seeds, up + down passes 1024, where 2.0 ** n overflows a float.
    assert sign_test(700, 700) == 1.0 and sign_test(600, 800) < 1e-6
    assert sign_test(520, 480) == pytest.approx(0.2175, abs=5e-4)  # normal approx., continuity corrected: z = 1.233


def test_from_eval_directories(tmp_path, capsys):
    a = _write_samples(tmp_path / "sft", {"p1": [True, False], "p2": [False, False], "p3": [True, True]})
    b = _write_samples(tmp_path / "rl", {"p1": [True, True], "p2": [False, False], "p3": [True, False]})
    assert per_problem_scores(a) == {"p1": 0.5, "p2": 0.0, "p3": 1.0}
    assert per_problem_scores(b / "samples.jsonl")["p1"] == 1.0
    res = compare_dirs([(a, b)], resamples=100)
    assert (res.up, res.down, res.unchanged) == (1, 1, 1) and res.diff == 0.0
    assert main([str(a), str(b), "--labels", "SFT", "RL", "--resamples", "100"]) == 0
    assert "RL - SFT = +0.0 points" in capsys.readouterr().out
    assert main([str(a), str(b), "--json", "--resamples", "100"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 1


def test_between_runs_treats_each_run_as_one_observation():
    a = {f"p{i}": 0.0 for i in range(10)}
    runs = [PairedRun(a, {k: d for k in a}) for d in (0.1, 0.2, 0.3)]
    res = between_runs(runs)
    # Means 0.1, 0.2, 0.3: SD 0.1, t(0.975, 2 df) = 4.3027, half width 4.3027 * 0.1 / sqrt(3).
    assert res["num_runs"] == 3 and res["diff"] == pytest.approx(0.2) and res["sd"] == pytest.approx(0.1)
    assert res["ci_high"] - res["diff"] == pytest.approx(4.3027 * 0.1 / 3**0.5, rel=1e-4)
    assert res["per_run"] == pytest.approx([0.1, 0.2, 0.3])
    # The stratified bootstrap holds the runs fixed: every problem moves by its run's constant, so its
    # interval is far narrower than the spread between the runs.
    boot = paired_bootstrap(runs, resamples=500)
    assert boot.ci_high - boot.ci_low < (res["ci_high"] - res["ci_low"]) / 5
    with pytest.raises(ValueError, match="at least 2 runs"):
        between_runs(runs[:1])


def test_cluster_bootstrap_resamples_whole_clusters():
    # Two families of 50 problems: one moved +1 as a whole, the other 0. Resampling problems gives a narrow
    # interval around 0.5; resampling the two families gives means 0, 0.5 or 1 (1/4, 1/2, 1/4).
    a = {f"p{i}": 0.0 for i in range(100)}
    b = {f"p{i}": 1.0 if i < 50 else 0.0 for i in range(100)}
    fam = {f"p{i}": "up" if i < 50 else "same" for i in range(100)}
    run = PairedRun(a, b, clusters=fam)
    by_problem = paired_bootstrap(run, resamples=4000, seed=2)
    by_family = paired_bootstrap(run, resamples=4000, seed=2, by_cluster=True)
    assert by_problem.diff == by_family.diff == 0.5 and by_problem.clusters == 0 and by_family.clusters == 2
    assert 0.35 < by_problem.ci_low and by_problem.ci_high < 0.65
    assert by_family.ci_low == 0.0 and by_family.ci_high == 1.0


def test_cluster_bootstrap_weights_clusters_by_size_and_stratifies_runs():
    # Run 1: a 3-problem cluster at +1 and a 1-problem cluster at 0; a resample holding both clusters has
    # mean 3/4 (weighted by problems), not 1/2. Run 2 is constant, so it only adds its problems.
    r1 = PairedRun(
        {q: 0.0 for q in "abcd"}, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.0}, {"a": "x", "b": "x", "c": "x", "d": "y"}
    )
    r2 = PairedRun({"e": 0.5}, {"e": 0.5}, {"e": "z"})
    res = paired_bootstrap([r1, r2], resamples=4000, seed=0, by_cluster=True)
    assert res.diff == pytest.approx(3 / 5) and res.clusters == 3
    # Possible run-1 resamples: {x, x} 6/6, {y, y} 0/2, {x, y} 3/4 -> pooled with run 2's one problem.
    assert res.ci_low == pytest.approx(0 / 3) and res.ci_high == pytest.approx(6 / 7)


def test_cluster_bootstrap_needs_every_problem_in_a_cluster():
    run = PairedRun({"a": 0.0, "b": 0.0}, {"a": 1.0, "b": 0.0}, {"a": "x"})
    with pytest.raises(ValueError, match="run 0: 1 problem"):
        paired_bootstrap(run, by_cluster=True)
    with pytest.raises(ValueError, match="no clusters"):
        paired_bootstrap(PairedRun({"a": 0.0}, {"a": 1.0}), by_cluster=True)
