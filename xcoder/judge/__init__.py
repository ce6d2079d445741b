"""The one judge: runs untrusted Python against tests, for data verification, rewards and eval."""

from xcoder.judge.compare import compare_lcb, compare_values
from xcoder.judge.judge import Judge, JudgeConfig
from xcoder.judge.result import JudgeResult, RunOutput, TestResult, Verdict

__all__ = [
    "Judge",
    "JudgeConfig",
    "JudgeResult",
    "RunOutput",
    "TestResult",
    "Verdict",
    "compare_lcb",
    "compare_values",
]
