"""Helpers to build LiveCodeBench-format rows in tests (compressed private tests included)."""

from __future__ import annotations

import base64
import json
import pickle
import zlib


def compress_tests(tests: list[dict]) -> str:
    """Encode tests the way LCB stores ``private_test_cases``: base64(zlib(pickle(json)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def lcb_row(
    qid: str,
    public: list[tuple[str, str]],
    private: list[tuple[str, str]] = (),
    func_name: str | None = None,
    compressed: bool = True,
    **extra,
) -> dict:
    kind = "functional" if func_name else "stdin"
    pub = [{"input": i, "output": o, "testtype": kind} for i, o in public]
    priv = [{"input": i, "output": o, "testtype": kind} for i, o in private]
    return {
        "question_id": qid,
        "question_title": extra.pop("question_title", qid),
        "question_content": extra.pop("question_content", f"Problem {qid}"),
        "platform": extra.pop("platform", "leetcode" if func_name else "atcoder"),
        "difficulty": extra.pop("difficulty", "easy"),
        "contest_date": extra.pop("contest_date", "2024-09-01T00:00:00"),
        "starter_code": extra.pop("starter_code", ""),
        "public_test_cases": json.dumps(pub),
        "private_test_cases": compress_tests(priv) if compressed else json.dumps(priv),
        "metadata": json.dumps({"func_name": func_name} if func_name else {}),
        **extra,
    }
