"""pipeline.families: the held-out paired difference per task family."""

import json

import pytest

from pipeline import families as fam


def write_holdout(run, rows):
    (run / "data").mkdir(parents=True)
    (run / "data" / "holdout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def row(qid, family):
    return {"question_id": qid, "metadata": json.dumps({"family": family, "phrasing": 5})}


def test_family_differences_and_the_families_that_moved_as_a_whole(tmp_path):
    # 3 families of 4 problems: "flip" loses everything, "gain" gains half, "still" moves 1 problem by 1/8.
    write_holdout(tmp_path, [row(f"{f}-{i}", f) for f in ("flip", "gain", "still") for i in range(4)])
    families = fam.holdout_families(tmp_path)
    assert len(families) == 12 and families["gain-3"] == "gain"
    sft = {q: 0.75 if q.startswith("flip") else 0.25 for q in families}
    rl = dict(sft) | {f"flip-{i}": 0.0 for i in range(4)} | {f"gain-{i}": 0.75 for i in range(4)} | {"still-0": 0.375}
    per = fam.family_differences(sft, rl, families)
    assert per["flip"] == {"problems": 4, "a": 0.75, "b": 0.0, "diff": -0.75}
    assert per["gain"]["diff"] == pytest.approx(0.5) and per["still"]["diff"] == pytest.approx(0.125 / 4)
    moved = fam.moved_summary(per)
    assert (moved["up"], moved["down"]) == (["gain"], ["flip"])
    # Weighted by problems: (4 * 0.5 - 4 * 0.75) / 12 from the moved families, 0.125 / 12 from the rest.
    assert moved["moved_part"] == pytest.approx(-1 / 12) and moved["rest_part"] == pytest.approx(0.125 / 12)
    overall = sum(rl.values()) / 12 - sum(sft.values()) / 12
    assert moved["moved_part"] + moved["rest_part"] == pytest.approx(overall)
    table = "\n".join(fam.markdown_table({"4": per}))
    assert "| flip | **75 → 0 (-75)** |" in table and "| still | 25 → 28 (+3) |" in table
    fam.plot(tmp_path / "families.png", {"4": per, "5": {"gain": per["gain"]}})
    assert (tmp_path / "families.png").stat().st_size > 1000


def test_rows_without_a_family_are_left_out_and_bad_metadata_names_its_line(tmp_path):
    assert fam.holdout_families(tmp_path) == {}  # no held-out file
    write_holdout(tmp_path, [row("a", "x"), {"question_id": "b", "metadata": "{}"}, {"question_id": "c"}])
    assert fam.holdout_families(tmp_path) == {"a": "x"}
    (tmp_path / "data" / "holdout.jsonl").write_text(
        json.dumps(row("a", "x")) + "\n" + '{"question_id": "b", "metadata": "{oops"}\n'
    )
    with pytest.raises(ValueError, match=r"holdout.jsonl:2: metadata is not JSON"):
        fam.holdout_families(tmp_path)


def test_grpo_rows_per_family_and_how_they_go_with_the_moves(tmp_path):
    rows = [{"source": "procedural:a"}] * 3 + [{"source": "procedural:b"}, {"source": "kodcode"}, {}]
    path = tmp_path / "rl_selected.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n")
    assert fam.row_families(path) == {"a": 3, "b": 1}  # rows from elsewhere are not counted
    # Two seeds: the family with more rows gains, the other loses -> correlation +1.
    cell = lambda n, d: {"problems": 5, "a": 0.5, "b": 0.5 + d, "diff": d, "grpo_rows": n}  # noqa: E731
    per_seed = {"1": {"a": cell(3, 0.5), "b": cell(1, -0.5)}, "2": {"a": cell(1, -0.5), "b": cell(3, 0.5)}}
    link = fam.rows_vs_moves(per_seed)
    assert link["cells"] == 4 and link["r"] == pytest.approx(1.0)
    assert fam.rows_vs_moves({"1": {"a": {"problems": 5, "a": 0, "b": 0, "diff": 0.0}}}) is None  # no counts
    table = "\n".join(fam.markdown_table(per_seed))
    assert "[n]: the family's GRPO rows" in table and "| a | **50 → 100 (+50)** [3] | **50 → 0 (-50)** [1] |" in table
