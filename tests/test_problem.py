import base64
import json
import os
import pickle
import zlib

import pytest

from tests.lcb_rows import compress_tests, lcb_row
from xcoder.problem import ProblemFormatError, load_problems, parse_input_output, problem_from_row


def test_lcb_row_with_compressed_private_tests():
    row = lcb_row("abc1", [("1 2\n", "3\n")], [("2 2\n", "4\n"), ("5 5\n", "10\n")])
    p = problem_from_row(row)
    assert p.question_id == "abc1" and not p.is_functional
    assert [t.input for t in p.tests] == ["1 2\n", "2 2\n", "5 5\n"]
    assert p.num_public == 1 and len(p.private_tests) == 2
    assert p.platform == "atcoder" and p.difficulty == "easy" and p.contest_date.startswith("2024-09-01")


def test_lcb_row_json_private_tests_and_functional_metadata():
    row = lcb_row(
        "lc1",
        [("[1,2]\n3", "[4, 5]")],
        [("[]\n0", "[]")],
        func_name="addAll",
        compressed=False,
        starter_code="class Solution:\n    def addAll(self, nums, k):\n        ",
    )
    p = problem_from_row(row)
    assert p.fn_name == "addAll" and p.is_functional and len(p.tests) == 2
    assert p.starter_code.startswith("class Solution")


def test_pickled_globals_are_refused():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    payload = base64.b64encode(zlib.compress(pickle.dumps(Evil()))).decode()
    row = lcb_row("evil", [("1\n", "1\n")])
    row["private_test_cases"] = payload
    with pytest.raises(ProblemFormatError, match="evil.*private_test_cases.*refusing"):
        problem_from_row(row, where="row 7")


def test_errors_name_the_row_and_field():
    row = lcb_row("x", [("1\n", "1\n")])
    row["metadata"] = "{not json"
    with pytest.raises(ProblemFormatError, match=r"row 3 \(question_id=x\).*metadata"):
        problem_from_row(row, where="row 3")
    empty = lcb_row("y", [])
    with pytest.raises(ProblemFormatError, match="no tests"):
        problem_from_row(empty)
    with pytest.raises(ProblemFormatError, match="neither"):
        problem_from_row({"question_id": "z"})


def test_input_output_rows_taco_and_lcb_encodings():
    tests, fn = parse_input_output(json.dumps({"inputs": ["1\n"], "outputs": ["2\n"]}))
    assert fn is None and tests[0].input == "1\n"
    # TACO-style functional: arguments as a list, outputs as values -> LCB text encoding
    tests, fn = parse_input_output({"inputs": [[[1, 2], 3]], "outputs": [[4, 5]], "fn_name": "f"})
    assert fn == "f" and tests[0].input == "[1, 2]\n3" and json.loads(tests[0].output) == [4, 5]
    p = problem_from_row({"id": 5, "input_output": {"inputs": ["a"], "outputs": ["b"]}, "question": "Echo"})
    assert p.question_id == "5" and p.question_content == "Echo"
    with pytest.raises(ProblemFormatError, match="2 inputs but 1 outputs"):
        parse_input_output({"inputs": ["a", "b"], "outputs": ["c"]})


def test_load_problems_keeps_good_rows_and_reports_bad_ones(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [
        json.dumps(lcb_row("ok1", [("1\n", "1\n")])),
        "{broken",
        json.dumps({"question_id": "bad", "public_test_cases": "[]", "private_test_cases": ""}),
        json.dumps(lcb_row("ok2", [("2\n", "2\n")])),
        json.dumps(lcb_row("ok1", [("3\n", "3\n")])),
    ]
    path.write_text("\n".join(rows) + "\n")
    problems, errors = load_problems(path)
    assert sorted(problems) == ["ok1", "ok2"]
    assert len(errors) == 3
    assert any(":2:" in e and "invalid JSON" in e for e in errors)
    assert any(":3" in e and "bad" in e for e in errors)
    assert any("duplicate" in e for e in errors)


def test_compress_roundtrip_matches_lcb_encoding():
    tests = [{"input": "1", "output": "2", "testtype": "stdin"}]
    raw = pickle.loads(zlib.decompress(base64.b64decode(compress_tests(tests))))
    assert json.loads(raw) == tests
