"""Verdicts and results of judging one sample."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    RUNTIME_ERROR = "runtime_error"  # also syntax errors and a missing entry point
    OUTPUT_LIMIT = "output_limit"
    SKIPPED = "skipped"  # not run: an earlier test failed and the judge stops at first failure
    JUDGE_ERROR = "judge_error"  # the judge itself or the test data failed, not the program

    def __str__(self) -> str:
        return self.value


@dataclass
class TestResult:
    verdict: Verdict
    time: float = 0.0
    stderr: str = ""
    message: str = ""  # short explanation: first differing line, exception, signal...
    name: str = ""  # the test's name where it has one: a unit-test problem's pytest node id
    reason: str = ""  # semantics="lcb": the LCB mechanism that failed this test (xcoder.judge.lcb tags)


@dataclass
class JudgeResult:
    verdict: Verdict
    passed: int
    total: int
    tests: list[TestResult] = field(default_factory=list)
    isolation: str = ""
    error: str | None = None  # set when the judge itself failed (verdict JUDGE_ERROR)
    semantics: str = "xcoder"  # whose execution semantics judged it: "xcoder" or "lcb" (LiveCodeBench's)
    reason: str = ""  # semantics="lcb" and failed: the LCB mechanism behind the first failing test, if any

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED

    @property
    def pass_fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def time(self) -> float:
        return sum(t.time for t in self.tests)

    def to_dict(self, with_tests: bool = True) -> dict:
        d = asdict(self)
        d["verdict"] = self.verdict.value
        if with_tests:
            d["tests"] = [{**asdict(t), "verdict": t.verdict.value} for t in self.tests]
        else:
            d.pop("tests")
        return d

    @classmethod
    def judge_error(cls, message: str, total: int = 0, isolation: str = "") -> JudgeResult:
        return cls(Verdict.JUDGE_ERROR, 0, total, [], isolation, message)


@dataclass
class RunOutput:
    """What one run of a program produced, without judging it (``Judge.run_outputs``)."""

    verdict: Verdict  # ACCEPTED: it ran to completion; otherwise why it did not
    output: str | None  # stdout, or the JSON of a functional program's return value
    stderr: str = ""
    time: float = 0.0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.ACCEPTED
