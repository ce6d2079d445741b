import json
import os
import stat

from xcoder.io import (
    JsonlAppender,
    atomic_write_json,
    atomic_write_jsonl,
    atomic_write_text,
    iter_jsonl,
    iter_jsonl_tolerant,
)


def test_atomic_writes_replace_whole_files_with_normal_permissions(tmp_path):
    path = tmp_path / "sub" / "out.txt"
    atomic_write_text(path, "one")
    atomic_write_text(path, "two")
    assert path.read_text() == "two"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]  # no temporary left behind
    atomic_write_json(tmp_path / "a.json", {"x": 1})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}


def test_iter_jsonl_reports_bad_lines_and_keeps_good_ones(tmp_path):
    path = tmp_path / "rows.jsonl"
    atomic_write_jsonl(path, [{"a": 1}])
    with open(path, "a") as fh:
        fh.write("\n{oops\n" + json.dumps({"b": 2}) + "\n")
    rows = list(iter_jsonl(path))
    assert [(n, r) for n, r, e in rows if e is None] == [(1, {"a": 1}), (4, {"b": 2})]
    assert [e for _, _, e in rows if e][0].startswith(f"{path}:3: invalid JSON")


def test_appender_trims_a_torn_line_and_the_tolerant_reader_skips_one(tmp_path):
    path = tmp_path / "cache" / "rows.jsonl"
    with JsonlAppender(path) as out:  # creates the directory
        out.write({"a": 1})
    with open(path, "a") as fh:
        fh.write('{"b": 2, "tor')  # a process killed mid-write
    warnings: list[str] = []
    assert list(iter_jsonl_tolerant(path, warnings.append)) == [{"a": 1}]
    assert len(warnings) == 1 and "torn line" in warnings[0]
    with JsonlAppender(path) as out:  # reopening drops the torn tail before appending
        out.write({"c": 3})
    assert path.read_text() == '{"a": 1}\n{"c": 3}\n'
    assert list(iter_jsonl_tolerant(tmp_path / "missing.jsonl")) == []
