from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from eval.dataset import (
    DATE_PRESETS,
    RELEASE_FILES,
    DatasetConfig,
    DatasetError,
    EmptySelectionError,
    load_errata,
    load_selection,
    make_window,
    resolve_files,
)

FIXTURE = Path(__file__).parent / "fixtures" / "lcb_mini"
ROOT = Path(__file__).resolve().parents[1]
V1_IDS = ["fx001", "fx002", "fx-max-gap", "fx-longest-run-k"]
V2_IDS = ["fx005", "fx006", "fx-rotation-check", "abc337_e"]


def ids(selection) -> list[str]:
    return [p.question_id for p in selection.problems]


def test_release_table_is_cumulative_and_deltas():
    assert RELEASE_FILES["release_v1"] == ["test.jsonl"]
    assert RELEASE_FILES["release_v6"] == [f"test{i if i > 1 else ''}.jsonl" for i in range(1, 7)]
    assert RELEASE_FILES["release_latest"] == RELEASE_FILES["release_v6"]
    assert RELEASE_FILES["v1"] == ["test.jsonl"]
    assert RELEASE_FILES["v6"] == ["test6.jsonl"]
    assert RELEASE_FILES["v2_v4"] == ["test2.jsonl", "test3.jsonl", "test4.jsonl"]


def test_directory_file_and_release_resolution():
    assert [p.name for p in resolve_files(FIXTURE)] == ["test.jsonl", "test2.jsonl"]
    assert [p.name for p in resolve_files(FIXTURE, "release_v2")] == ["test.jsonl", "test2.jsonl"]
    assert [p.name for p in resolve_files(FIXTURE, "v2")] == ["test2.jsonl"]
    assert resolve_files(FIXTURE / "test2.jsonl") == [FIXTURE / "test2.jsonl"]
    assert ids(load_selection(DatasetConfig(str(FIXTURE)))) == V1_IDS + V2_IDS
    assert ids(load_selection(DatasetConfig(str(FIXTURE), release="v2"))) == V2_IDS
    assert ids(load_selection(DatasetConfig(str(FIXTURE), release="release_v1"))) == V1_IDS


def test_resolution_errors_are_clear(tmp_path):
    with pytest.raises(DatasetError, match="release release_v3 needs test3.jsonl"):
        resolve_files(FIXTURE, "release_v3")
    with pytest.raises(DatasetError, match="unknown release 'v9'"):
        resolve_files(FIXTURE, "v9")
    with pytest.raises(DatasetError, match="neither an existing file or directory nor a release tag"):
        resolve_files(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no LiveCodeBench JSONL files"):
        resolve_files(tmp_path)
    with pytest.raises(DatasetError, match="needs a directory"):
        resolve_files(FIXTURE / "test.jsonl", "v1")


def test_hub_release_offline_gives_a_clear_error(tmp_path):
    # A real huggingface_hub call in offline mode (this machine has no hub access anyway).
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)}
    code = (
        "from eval.dataset import resolve_files, DatasetError\n"
        "try:\n    resolve_files('release_v5')\nexcept DatasetError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "could not get test.jsonl of livecodebench/code_generation_lite" in out.stdout
    assert "pass --dataset DIR" in out.stdout


def test_presets_and_inclusive_windows():
    assert DATE_PRESETS["v5"].start == date(2024, 8, 1) and DATE_PRESETS["v5"].end == date(2025, 2, 1)
    assert DATE_PRESETS["v6"].start == date(2025, 2, 1) and DATE_PRESETS["v6"].end == date(2025, 5, 1)
    assert ids(load_selection(DatasetConfig(str(FIXTURE), preset="v5"))) == [
        "fx002",
        "fx-max-gap",
        "fx-longest-run-k",
        "fx005",
    ]
    assert ids(load_selection(DatasetConfig(str(FIXTURE), preset="v6"))) == ["fx006", "fx-rotation-check", "abc337_e"]
    # Both ends inclusive: fx002 is dated 2024-08-10, fx-max-gap 2024-10-05.
    assert ids(load_selection(DatasetConfig(str(FIXTURE), start_date="2024-08-10", end_date="2024-10-05"))) == [
        "fx002",
        "fx-max-gap",
    ]
    # Overriding one end of a preset keeps the other.
    sel = load_selection(DatasetConfig(str(FIXTURE), preset="v5", end_date="2024-09-30"))
    assert ids(sel) == ["fx002"]
    assert sel.describe()["window"] == {"name": "v5*", "start": "2024-08-01", "end": "2024-09-30"}
    assert make_window() is None


def test_window_errors():
    with pytest.raises(DatasetError, match="unknown --preset"):
        make_window("v7")
    with pytest.raises(DatasetError, match="not a date"):
        make_window(start="yesterday")
    with pytest.raises(DatasetError, match="empty date window"):
        make_window(start="2025-01-02", end="2025-01-01")


def test_platform_difficulty_and_question_filters():
    sel = load_selection(DatasetConfig(str(FIXTURE), platforms=("LeetCode",)))
    assert ids(sel) == ["fx-max-gap", "fx-longest-run-k", "fx-rotation-check"]
    sel = load_selection(DatasetConfig(str(FIXTURE), difficulties=("hard",), platforms=("codeforces", "leetcode")))
    assert ids(sel) == ["fx-longest-run-k", "fx006"]
    assert sel.counts == {"loaded": 8, "after_platform": 5, "after_difficulty": 2, "selected": 2}
    assert ids(load_selection(DatasetConfig(str(FIXTURE), question_ids=("fx006", "fx001")))) == ["fx001", "fx006"]
    assert ids(load_selection(DatasetConfig(str(FIXTURE), limit=3))) == V1_IDS[:3]
    with pytest.raises(DatasetError, match="not in the dataset: zzz"):
        load_selection(DatasetConfig(str(FIXTURE), question_ids=("zzz",)))


def test_errata_flagged_and_excludable():
    table = load_errata()
    assert table["abc350_c"]["category"] == "erroneous_tests"
    assert table["abc337_e"]["category"] == "interactive"
    assert len(table) == 17  # the list as of ERRATA.md @ 716024c (was 12)
    sel = load_selection(DatasetConfig(str(FIXTURE)))
    assert list(sel.errata) == ["abc337_e"]
    assert sel.describe()["errata_in_selection"] == ["abc337_e"]
    sel = load_selection(DatasetConfig(str(FIXTURE), exclude_errata=True))
    assert "abc337_e" not in ids(sel) and not sel.errata and sel.counts["after_errata"] == 7


def test_empty_selection_names_the_filters():
    with pytest.raises(EmptySelectionError, match=r"no problems selected .*after_dates=0"):
        load_selection(DatasetConfig(str(FIXTURE), start_date="2030-01-01"))
    with pytest.raises(EmptySelectionError, match="after_difficulty=0"):
        load_selection(DatasetConfig(str(FIXTURE), platforms=("atcoder",), difficulties=("hard",)))


def _copy_with_bad_rows(tmp_path: Path) -> Path:
    d = tmp_path / "lcb"
    d.mkdir()
    shutil.copy(FIXTURE / "test.jsonl", d / "test.jsonl")
    rows = (FIXTURE / "test2.jsonl").read_text().splitlines()
    broken = json.loads(rows[1])
    broken["private_test_cases"] = "!!not base64!!"
    no_id = json.loads(rows[2])
    del no_id["question_id"]
    (d / "test2.jsonl").write_text(
        "\n".join([rows[0], json.dumps(broken), "{not json", json.dumps(no_id), rows[3]]) + "\n"
    )
    return d


def test_malformed_rows_fail_by_default_and_can_be_skipped(tmp_path):
    d = _copy_with_bad_rows(tmp_path)
    with pytest.raises(DatasetError) as err:
        load_selection(DatasetConfig(str(d)))
    msg = str(err.value)
    assert "3 bad row(s)" in msg and "--skip-bad-rows" in msg
    assert "test2.jsonl:2 (question_id=fx006) private_test_cases" in msg
    assert "test2.jsonl:3: invalid JSON" in msg
    assert "test2.jsonl:4: missing 'question_id'" in msg
    sel = load_selection(DatasetConfig(str(d), skip_bad_rows=True))
    assert ids(sel) == V1_IDS + ["fx005", "abc337_e"]
    assert len(sel.skipped_rows) == 3


def test_duplicate_ids_across_files_are_errors(tmp_path):
    d = tmp_path / "dup"
    d.mkdir()
    shutil.copy(FIXTURE / "test.jsonl", d / "test.jsonl")
    shutil.copy(FIXTURE / "test.jsonl", d / "test2.jsonl")
    with pytest.raises(DatasetError, match="question_id 'fx001' also in"):
        load_selection(DatasetConfig(str(d)))


def test_window_needs_contest_dates(tmp_path):
    row = json.loads((FIXTURE / "test.jsonl").read_text().splitlines()[0])
    row["contest_date"] = ""
    (tmp_path / "x.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DatasetError, match="'fx001' has no contest_date"):
        load_selection(DatasetConfig(str(tmp_path / "x.jsonl"), preset="v5"))


def test_fixture_private_tests_are_compressed_and_decode():
    row = json.loads((FIXTURE / "test.jsonl").read_text().splitlines()[1])
    assert not row["private_test_cases"].lstrip().startswith("[")  # base64+zlib+pickle, as LCB
    problem = load_selection(DatasetConfig(str(FIXTURE), question_ids=("fx002",))).problems[0]
    assert problem.num_public == 2 and len(problem.tests) == 5
    assert problem.tests[0].input == "4 5\n1 4 2 3\n" and problem.tests[0].output == "2\n"
