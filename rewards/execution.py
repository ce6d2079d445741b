"""Execution rewards: run the completion's program on the row's tests with the shared judge.

Every completion of a batch is judged concurrently (``Judge.judge_batch``, or
``judge_batch_async`` for the async form) on the process's one shared judge. The tests come from
the row's ``input_output`` column (JSON with ``inputs``, ``outputs`` and optional ``fn_name``;
functional inputs LCB-encoded), read with the core's ``parse_input_output``, or, for unit-test
problems such as KodCode's, from its ``test_file`` column (a pytest file; KodCode's own ``test``
column is read too when the rows also carry ``solution``): each collected pytest test is one test.
The program comes from the core's ``extract_code``, so RL grades exactly what eval grades.

What a completion gets:

============================  ==========================================================
the model's fault              the reward's failing value (0.0, or ``invalid_penalty`` for
(wrong, timeout, crash,        ``xcoder_graded`` when there is no code or it does not
no code, does not parse)       parse)
the data's or judge's fault    ``None`` plus a logged warning: never a silent 0 that would
(no tests, bad tests,          teach the model that a correct program is wrong
judge failure)
============================  ==========================================================
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rewards.base import Reward, RewardBatch, RewardList, logger, warn_once
from rewards.shared_judge import get_judge
from xcoder import pyast
from xcoder.config import help_field
from xcoder.extract import extract_code
from xcoder.hashing import stable_int
from xcoder.judge import JudgeResult, Verdict
from xcoder.problem import Problem, ProblemFormatError, parse_input_output

TEST_SELECTIONS = ("random", "group", "longest")
EXTRACT_MODES = ("last", "first", "longest")
ID_COLUMNS = ("question_id", "problem_id", "task_id", "id")

# Per-completion outcomes counted for log_metric, besides the judge's verdicts.
NO_TESTS, NO_CODE, SYNTAX_ERROR, BAD_COMPLETION = "no_tests", "no_code", "syntax_error", "bad_completion"
COUNTED = (NO_CODE, SYNTAX_ERROR, "timeout", "runtime_error", "memory_limit", "judge_error", NO_TESTS)


@dataclass
class ExecutionOptions:
    """Options every execution reward takes (set them under ``reward_options`` in the YAML)."""

    max_tests: int | None = help_field(
        "Judge at most this many of the row's tests per completion (None: all). Which ones: test_selection.",
        default=None,
    )
    test_selection: str = help_field(
        "How max_tests are chosen. 'random': a fresh random subset per completion (X-Coder); "
        "'group': one random subset shared by all completions of a prompt at a step, so the "
        "group's rewards are comparable; 'longest': the tests with the longest inputs (DeepCoder).",
        default="random",
    )
    extract_mode: str = help_field(
        "Which fenced block is the program: 'last' (LiveCodeBench), 'first' or 'longest'.", default="last"
    )
    strip_think: bool = help_field(
        "Drop <think>...</think> reasoning before extracting (an unclosed <think> means no code).", default=True
    )
    timeout: float | None = help_field(
        "Per-test time limit in seconds (None: the judge's, 6 s by default).", default=None
    )
    sample_timeout: float | None = help_field(
        "Time budget for all tests of one completion; tests past it count as timeouts. "
        "Bounds the cost of a program that times out on every test (None: no budget).",
        default=None,
    )
    seed: int | None = help_field("Seed for test subsampling (None: random).", default=None)

    def __post_init__(self) -> None:
        if self.max_tests is not None and self.max_tests < 1:
            raise ValueError(f"max_tests must be at least 1 or None, got {self.max_tests}")
        if self.test_selection not in TEST_SELECTIONS:
            raise ValueError(
                f"test_selection must be one of {', '.join(TEST_SELECTIONS)}, not {self.test_selection!r}"
            )
        if self.extract_mode not in EXTRACT_MODES:
            raise ValueError(f"extract_mode must be one of {', '.join(EXTRACT_MODES)}, not {self.extract_mode!r}")
        for name in ("timeout", "sample_timeout"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")


@dataclass
class _Job:
    index: int
    problem: Problem
    code: str


@dataclass
class _Plan:
    """What each completion needs: a value decided without running anything, or a judge job."""

    values: RewardList
    status: list[str]
    jobs: list[_Job]


def parses(code: str) -> bool:
    """Whether the program is valid Python syntax (X-Coder's "compilation error" check)."""
    try:
        pyast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


class ExecutionReward(Reward):
    """Judge each completion's program on its row's tests; subclasses turn a ``JudgeResult`` into
    a number (:meth:`value`)."""

    Options: ClassVar[type] = ExecutionOptions
    stop_on_first_failure: ClassVar[bool] = False
    failing_value: ClassVar[float] = 0.0

    def __init__(self, options: ExecutionOptions | None = None):
        self.options = options or self.Options()
        self._rng = random.Random(self.options.seed)

    # -- subclasses ----------------------------------------------------------------------------

    def value(self, result: JudgeResult) -> float:
        raise NotImplementedError

    @property
    def no_code_value(self) -> float:
        return self.failing_value

    @property
    def syntax_error_value(self) -> float:
        return self.failing_value

    @property
    def full_mark(self) -> float:
        """The reward of a program that passes every test: GRPO's group statistics count a completion
        as passing when its execution rewards reach their full marks (``pass_reward_threshold`` unset)."""
        return 1.0

    # -- scoring -------------------------------------------------------------------------------

    def score(self, batch: RewardBatch) -> RewardList:
        plan = self._plan(batch)
        results = (
            get_judge().judge_batch([(j.problem, j.code) for j in plan.jobs], **self._overrides()) if plan.jobs else []
        )
        return self._finish(batch, plan, results)

    async def ascore(self, batch: RewardBatch) -> RewardList:
        plan = await asyncio.to_thread(self._plan, batch)  # parsing large test sets stays off the loop
        results = (
            await get_judge().judge_batch_async([(j.problem, j.code) for j in plan.jobs], **self._overrides())
            if plan.jobs
            else []
        )
        return self._finish(batch, plan, results)

    def _overrides(self) -> dict[str, Any]:
        overrides: dict[str, Any] = {"stop_on_first_failure": self.stop_on_first_failure}
        if self.options.timeout is not None:
            overrides["timeout"] = self.options.timeout
        if self.options.sample_timeout is not None:
            overrides["total_timeout"] = self.options.sample_timeout
        return overrides

    def _plan(self, batch: RewardBatch) -> _Plan:
        n = len(batch)
        plan = _Plan([None] * n, [""] * n, [])
        problems, keys = self._problems(batch)
        for i, completion in enumerate(batch.completions):
            problem = problems[i]
            if problem is None:
                plan.status[i] = NO_TESTS
                continue
            try:
                code = extract_code(completion, mode=self.options.extract_mode, strip_think=self.options.strip_think)
            except (TypeError, ValueError) as exc:
                warn_once(
                    f"{self.name}:bad-completion:{type(completion).__name__}",
                    "%s: cannot read completion %d (%s); it gets None",
                    self.name,
                    i,
                    exc,
                )
                plan.status[i] = BAD_COMPLETION
                continue
            if code is None:
                plan.values[i], plan.status[i] = self.no_code_value, NO_CODE
            elif not parses(code):
                plan.values[i], plan.status[i] = self.syntax_error_value, SYNTAX_ERROR
            else:
                plan.jobs.append(_Job(i, self._select_tests(problem, keys[i], batch.step), code))
        return plan

    def _finish(self, batch: RewardBatch, plan: _Plan, results: list[JudgeResult]) -> RewardList:
        judge_errors: list[str] = []
        for job, result in zip(plan.jobs, results):
            if result.verdict is Verdict.JUDGE_ERROR:
                plan.status[job.index] = "judge_error"
                judge_errors.append(f"{job.problem.question_id}: {result.error}")
                continue
            plan.values[job.index] = self.value(result)
            verdicts = {t.verdict for t in result.tests}
            if Verdict.TIME_LIMIT in verdicts:
                plan.status[job.index] = "timeout"
            else:
                plan.status[job.index] = result.verdict.value
        if judge_errors:
            logger.warning(
                "%s: the judge failed on %d of %d completions; they get None (first: %s)",
                self.name,
                len(judge_errors),
                len(batch),
                judge_errors[0],
            )
        self._report(batch, plan.status)
        return plan.values

    def _report(self, batch: RewardBatch, status: list[str]) -> None:
        counts = Counter(status)
        for key in COUNTED:
            batch.metric(f"rewards/{self.name}/{key}", counts.get(key, 0))
        batch.extra(f"{self.name}_outcome", list(status))

    # -- tests ---------------------------------------------------------------------------------

    def _problems(self, batch: RewardBatch) -> tuple[list[Problem | None], list[str]]:
        """Each completion's problem (None when its row has no usable tests) and a key naming
        the problem's tests (the same in every process). Each distinct row is parsed once."""
        n = len(batch)
        column = batch.column("input_output")
        test_files = batch.column("test_file")
        if test_files is None and batch.column("solution") is not None:
            test_files = batch.column("test")  # raw KodCode rows
        if column is None and test_files is None:
            warn_once(
                f"{self.name}:no-column",
                "%s: the dataset has no 'input_output' column (nor a unit-test "
                "'test_file'); every completion gets None (execution rewards need the tests of each row)",
                self.name,
            )
            return [None] * n, [""] * n
        column = column if column is not None else [None] * n
        ids = next((batch.column(c) for c in ID_COLUMNS if batch.column(c) is not None), None)
        checkers = batch.column("checker")
        parsed: dict[str, Problem | None] = {}
        problems: list[Problem | None] = []
        keys: list[str] = []
        for i, raw in enumerate(column):
            qid = str(ids[i]) if ids is not None else f"row{i}"
            test_file = test_files[i] if test_files is not None else None
            if isinstance(test_file, str) and test_file.strip():
                key = f"test_file\x00{test_file}"
                if key not in parsed:
                    parsed[key] = Problem(question_id=qid, tests=[], test_file=test_file)
                problems.append(parsed[key])
                keys.append(key)
                continue
            checker = checkers[i] if checkers is not None else None
            key = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, default=str)
            cache_key = f"{key}\x00{checker or ''}"
            if cache_key not in parsed:
                parsed[cache_key] = self._parse(raw, qid, checker)
            problems.append(parsed[cache_key])
            keys.append(key)
        return problems, keys

    def _parse(self, raw: Any, qid: str, checker: str | None) -> Problem | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            warn_once(
                f"no-tests:{qid}",
                "%s: problem %s has no tests (empty input_output); its completions get None",
                self.name,
                qid,
            )
            return None
        try:
            tests, fn_name = parse_input_output(raw, where=f"problem {qid}")
        except ProblemFormatError as exc:
            warn_once(f"bad-tests:{qid}", "%s: %s; its completions get None", self.name, exc)
            return None
        return Problem(question_id=qid, tests=tests, fn_name=fn_name, checker=checker or None)

    def _select_tests(self, problem: Problem, key: str, step: int) -> Problem:
        k, tests = self.options.max_tests, problem.tests
        if k is None or len(tests) <= k:
            return problem
        mode = self.options.test_selection
        if mode == "longest":
            chosen = sorted(range(len(tests)), key=lambda i: (-len(tests[i].input), i))[:k]
        elif mode == "group":
            # Same subset for every completion of this problem at this step, in every process.
            chosen = random.Random(stable_int(key, step, self.options.seed)).sample(range(len(tests)), k)
        else:
            chosen = self._rng.sample(range(len(tests)), k)
        return replace(problem, tests=[tests[i] for i in sorted(chosen)])


# --------------------------------------------------------------------------------------------
# The rewards


class Binary(ExecutionReward):
    """1.0 if the program passes every test, else 0.0 (judging stops at the first failure)."""

    name = "binary"
    stop_on_first_failure = True

    def value(self, result: JudgeResult) -> float:
        return 1.0 if result.accepted else 0.0


class PassRate(ExecutionReward):
    """The fraction of tests passed (all tests run)."""

    name = "pass_rate"

    def value(self, result: JudgeResult) -> float:
        return result.pass_fraction


@dataclass
class ThresholdOptions(ExecutionOptions):
    threshold: float = help_field(
        "Pass fraction that counts as solved. Below 1.0 it tolerates a few wrong test labels, "
        "which synthetic tests have (X-Coder reports ~5% still trains well).",
        default=0.9,
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")


class Threshold(ExecutionReward):
    """1.0 if the pass fraction reaches ``threshold`` (default 0.9), else 0.0."""

    name = "threshold"
    Options = ThresholdOptions

    def value(self, result: JudgeResult) -> float:
        # A small tolerance so 9/10 passes a threshold of 0.9 despite float rounding.
        return 1.0 if result.pass_fraction >= self.options.threshold - 1e-9 else 0.0


@dataclass
class XCoderOptions(ExecutionOptions):
    max_tests: int | None = help_field(
        "Tests sampled per completion (X-Coder: up to 10, a fresh sample per rollout).", default=10
    )
    scale: float = help_field("Reward for passing every sampled test (X-Coder: 5).", default=5.0)
    invalid_penalty: float = help_field(
        "Reward when there is no code block or the code does not parse (X-Coder: -2).", default=-2.0
    )


class XCoderGraded(ExecutionReward):
    """X-Coder's released RL reward: ``scale`` (5) x the fraction passed of up to 10 tests sampled
    per rollout; ``invalid_penalty`` (-2) when there is no code block or it does not parse."""

    name = "xcoder_graded"
    Options = XCoderOptions

    def value(self, result: JudgeResult) -> float:
        return self.options.scale * result.pass_fraction

    @property
    def no_code_value(self) -> float:
        return self.options.invalid_penalty

    @property
    def full_mark(self) -> float:
        return self.options.scale

    @property
    def syntax_error_value(self) -> float:
        return self.options.invalid_penalty


EXECUTION_REWARDS: tuple[type[ExecutionReward], ...] = (Binary, PassRate, Threshold, XCoderGraded)
