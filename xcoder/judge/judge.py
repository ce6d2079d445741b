"""The ``Judge``: one API that data verification, RL rewards and evaluation all use.

The worker (the ``worker`` package) only executes; the policy lives here: which tests to run, how to
compare, when to stop, what verdict to give.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields, replace
from typing import Literal

from xcoder import cancel
from xcoder.config import help_field
from xcoder.judge import lcb
from xcoder.judge.compare import COMPARE_MODES, compare_values, describe_mismatch, loads_json, stdout_comparator
from xcoder.judge.lcb import SEMANTICS
from xcoder.judge.result import JudgeResult, RunOutput, TestResult, Verdict
from xcoder.judge.sandbox import SANDBOX_KINDS, Worker, WorkerDied, WorkerError, WorkerSpec
from xcoder.judge.unittests import TEST_FILE_NAME, TestFileError, results_of_run, solution_test_module
from xcoder.problem import Problem, TestCase

UNIT_TEST_RUNNERS = ("auto", "pytest")  # JudgeConfig.unit_test_runner; the worker knows the same names


@dataclass(frozen=True)
class JudgeConfig:
    """How untrusted programs are run and graded (shared by data verification, rewards and eval)."""

    timeout: float = help_field("Per-test wall-clock limit in seconds (LiveCodeBench uses 6).", default=6.0)
    total_timeout: float | None = help_field(
        "Budget for all tests of one sample; tests past it get time_limit. None: no budget.", default=None
    )
    memory_mb: int = help_field("Address-space limit per program, in MiB.", default=4096)
    output_limit_mb: float = help_field("Largest stdout a program may write per test, in MiB.", default=64.0)
    stop_on_first_failure: bool = help_field(
        "Binary scoring stops at the first failing test; False runs all (fractional scoring).", default=True
    )
    compare: str = help_field(
        "Output comparison: lcb (LiveCodeBench's rules), exact, or float (tolerances below).", default="lcb"
    )
    abs_tol: float = help_field("Absolute tolerance of float comparison.", default=1e-6)
    rel_tol: float = help_field("Relative tolerance of float comparison.", default=1e-6)
    workers: int = help_field("Parallel workers (sandboxed zygotes); 0 means one per CPU core.", default=0)
    sandbox: str = help_field(
        "auto (bubblewrap if it works, else rlimits with a warning), bwrap (required) or none.", default="auto"
    )
    python: str = help_field(
        "Interpreter that runs judged code (needs sortedcontainers for LeetCode parity).", default=sys.executable
    )
    max_processes: int = help_field(
        "Processes/threads a program may have at once (enforced when a private uid is available).", default=64
    )
    test_file_timeout: float = help_field(
        "Wall-clock limit in seconds for a unit-test problem's whole pytest run (collection and every test; "
        "KodCode uses 30). total_timeout, when smaller, bounds it too.",
        default=30.0,
    )
    unit_test_runner: Literal["auto", "pytest"] = help_field(
        "What runs a unit-test file: auto (a plain file, module-level test functions without fixtures, "
        "marks or setup hooks, a literal @pytest.mark.parametrize at most, plain Test* classes, runs without a "
        "pytest session, outcome for outcome as pytest runs it and several times cheaper; any other file in "
        "pytest) or pytest (always a pytest session).",
        default="auto",
    )
    semantics: Literal["xcoder", "lcb"] = help_field(
        "Execution semantics: xcoder (as `python3 solution.py < input` runs it) or lcb (LiveCodeBench's runner "
        "verdict for verdict: mocked stdin, captured sys.stdout, function wrapping, recursion limit 50000, shared "
        "Solution instance, == on return values, its timeouts). Unit-test problems ignore it.",
        default="xcoder",
    )

    def __post_init__(self) -> None:
        if self.compare not in COMPARE_MODES:
            raise ValueError(f"compare must be one of {', '.join(COMPARE_MODES)}, not {self.compare!r}")
        if self.sandbox not in SANDBOX_KINDS:
            raise ValueError(f"sandbox must be one of {', '.join(SANDBOX_KINDS)}, not {self.sandbox!r}")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.test_file_timeout <= 0:
            raise ValueError("test_file_timeout must be positive")
        if self.unit_test_runner not in UNIT_TEST_RUNNERS:
            raise ValueError(
                f"unit_test_runner must be one of {', '.join(UNIT_TEST_RUNNERS)}, not {self.unit_test_runner!r}"
            )
        if self.semantics not in SEMANTICS:
            raise ValueError(f"semantics must be one of {', '.join(SEMANTICS)}, not {self.semantics!r}")

    @property
    def n_workers(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


_LIVE_JUDGES: weakref.WeakSet[Judge] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for judge in list(_LIVE_JUDGES):
        judge.close()


class Judge:
    """Thread- and process-safe judge with a lazily started pool of sandboxed workers."""

    def __init__(self, config: JudgeConfig | None = None, **overrides):
        self.config = replace(config or JudgeConfig(), **overrides)
        self._spec = WorkerSpec(
            sandbox=self.config.sandbox,
            python=self.config.python,
            memory_mb=self.config.memory_mb,
            max_processes=self.config.max_processes,
        )
        self._reset_pool()
        _LIVE_JUDGES.add(self)

    def _reset_pool(self) -> None:
        self._pid = os.getpid()
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
        self._count = 0
        self._busy: set[Worker] = set()  # workers judging now, killed by abort()
        self._lock = threading.Lock()
        # Workers die with the *thread* that started them (PR_SET_PDEATHSIG), so one long-lived
        # thread starts them all, never a short-lived batch thread.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xcoder-judge-spawn")
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False

    # -- pool ----------------------------------------------------------------------------------

    def _acquire(self) -> Worker:
        if os.getpid() != self._pid:  # forked: the parent's workers are not ours to use
            self._reset_pool()
        if self._closed:
            raise WorkerError("judge is closed")
        worker = self._take()
        with self._lock:
            self._busy.add(worker)
        return worker

    def _take(self) -> Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = self._count < self.config.n_workers
            if grow:
                self._count += 1
        if not grow:
            return self._idle.get()
        try:
            return self._spawner.submit(Worker, self._spec).result()
        except BaseException:
            with self._lock:
                self._count -= 1
            raise

    def _release(self, worker: Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
        if worker.alive and not self._closed and os.getpid() == self._pid:
            self._idle.put(worker)
            return
        worker.close()
        with self._lock:
            self._count -= 1

    def close(self) -> None:
        """Stop all workers. The judge may not be used afterwards."""
        if os.getpid() != self._pid:
            return
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        self._spawner.shutdown(wait=False)
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    def abort(self) -> None:
        """Close the judge and kill the programs running now (on a stop request): their samples
        end in errors that callers stopping anyway discard."""
        self.close()
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.kill()

    def __enter__(self) -> Judge:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- judging -------------------------------------------------------------------------------

    def judge(self, problem: Problem, code: str, **overrides) -> JudgeResult:
        """Judge one program on a problem's tests. Never raises for anything the program does."""
        cfg = replace(self.config, **overrides) if overrides else self.config
        if not problem.has_tests:
            return JudgeResult.judge_error(f"problem {problem.question_id!r} has no tests")
        total = _expected_total(problem)
        if not isinstance(code, str):
            return JudgeResult.judge_error(f"code must be a string, got {type(code).__name__}", total)
        if problem.is_unittest:
            try:
                solution_test_module(problem.test_file)
            except TestFileError as exc:
                return JudgeResult.judge_error(f"problem {problem.question_id!r}: {exc}", total)
        try:
            worker = self._acquire()
        except WorkerError as exc:
            return JudgeResult.judge_error(str(exc), total)
        try:
            return _Session(worker, problem, code, cfg).run()
        finally:
            self._release(worker)

    def run_outputs(
        self, code: str, inputs: Sequence[str], fn_name: str | None = None, **overrides
    ) -> list[RunOutput]:
        """Run a program on inputs and return what it printed (or returned, for ``fn_name``
        programs, as JSON text), one :class:`RunOutput` per input, all inputs run.

        For data generation: input-generator programs, majority votes over candidate outputs.
        """
        cfg = replace(self.config, **overrides) if overrides else self.config
        inputs = list(inputs)
        if not inputs:
            return []
        problem = Problem("run", [TestCase(i, "") for i in inputs], fn_name=fn_name)
        try:
            worker = self._acquire()
        except WorkerError as exc:
            return [RunOutput(Verdict.JUDGE_ERROR, None, "", 0.0, str(exc)) for _ in inputs]
        try:
            return _Session(worker, problem, code, cfg).outputs(inputs)
        finally:
            self._release(worker)

    def run_outputs_batch(
        self,
        jobs: Iterable[tuple[str, Sequence[str], str | None]],
        progress: bool = False,
        description: str = "running",
        **overrides,
    ) -> list[list[RunOutput]]:
        """``run_outputs`` for many (code, inputs, fn_name) jobs in parallel; results in input order."""
        return self._parallel(
            [lambda j=j: self.run_outputs(j[0], j[1], j[2], **overrides) for j in jobs], progress, description
        )

    def _parallel(self, calls: list, progress: bool, description: str, on_result: Callable | None = None) -> list:
        """Run ``calls`` on a thread pool; results in input order, each also given to
        ``on_result(index, result)`` in this thread as it finishes. A stop request
        (:mod:`xcoder.cancel`) cancels what has not started, kills running programs (closing the
        judge) and raises :class:`~xcoder.cancel.Cancelled`; what ``on_result`` saw is all that finished."""
        results: list = [None] * len(calls)
        if not calls:
            return results
        pool = ThreadPoolExecutor(max_workers=max(1, min(self.config.n_workers, len(calls))))
        stopped = False
        try:
            futures = {pool.submit(call): i for i, call in enumerate(calls)}
            pending = set(futures)
            if progress:
                from xcoder.progress import progress_bar

                bar = progress_bar(description, total=len(calls))
            else:
                bar = contextlib.nullcontext(lambda n=1: None)
            with bar as advance:
                while pending:
                    if cancel.requested():
                        stopped = True
                        break
                    done, pending = wait(pending, timeout=cancel.POLL_SECONDS, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = futures[fut]
                        results[i] = fut.result()
                        if on_result is not None:
                            on_result(i, results[i])
                        advance()
            if stopped:
                for fut in pending:
                    fut.cancel()
                self.abort()
                raise cancel.Cancelled(f"{len(calls) - len(pending)} of {len(calls)} finished")
        finally:
            pool.shutdown(wait=not stopped, cancel_futures=True)
        return results

    def judge_batch(
        self,
        pairs: Iterable[tuple[Problem, str]],
        progress: bool = False,
        description: str = "judging",
        on_result: Callable[[int, JudgeResult], None] | None = None,
        **overrides,
    ) -> list[JudgeResult]:
        """Judge many (problem, code) pairs in parallel across workers; results in input order.
        ``on_result(index, result)`` sees each result as it finishes (to stream or cache it)."""
        return self._parallel(
            [lambda p=p, c=c: self.judge(p, c, **overrides) for p, c in pairs], progress, description, on_result
        )

    async def judge_async(self, problem: Problem, code: str, **overrides) -> JudgeResult:
        """Awaitable form for asyncio callers (e.g. TRL's async reward functions)."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.config.n_workers, thread_name_prefix="xcoder-judge-async")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self.judge(problem, code, **overrides))

    async def judge_batch_async(self, pairs: Sequence[tuple[Problem, str]], **overrides) -> list[JudgeResult]:
        return list(await asyncio.gather(*(self.judge_async(p, c, **overrides) for p, c in pairs)))


class _Session:
    """Judging one sample on one worker."""

    def __init__(self, worker: Worker, problem: Problem, code: str, cfg: JudgeConfig):
        self.worker, self.problem, self.code, self.cfg = worker, problem, code, cfg
        self.output_limit = int(cfg.output_limit_mb * (1 << 20))
        self.compare_stdout = stdout_comparator(cfg.compare, cfg.abs_tol, cfg.rel_tol)
        self.ended = False  # the worker already ended the sample (killed leftovers, wiped files)

    def _call(self, msg: dict, timeout: float) -> dict:
        return self.worker.call(msg, timeout)

    @property
    def lcb(self) -> bool:
        return self.cfg.semantics == "lcb" and not self.problem.is_unittest

    def run(self) -> JudgeResult:
        try:
            result = self._run_tests()
        finally:
            self._end()
        if self.lcb:
            result.semantics = "lcb"
            self._tag_reasons(result)
        return result

    def _tag_reasons(self, result: JudgeResult) -> None:
        """Name the LCB mechanism behind each failing test, where one is recognisable."""
        for test in result.tests:
            if test.verdict in (Verdict.ACCEPTED, Verdict.SKIPPED, Verdict.JUDGE_ERROR):
                continue
            empty = test.message.startswith("got 1 lines") or "got ''" in test.message
            test.reason = lcb.lcb_reason(
                self.code, self.problem.is_functional, test.verdict.value, test.message, empty
            )
            if test.reason and not result.reason:
                result.reason = test.reason

    def _end(self) -> None:
        if self.worker.alive and not self.ended:
            try:
                # Kills anything the program left running and empties its scratch directory.
                self._call({"op": "end"}, 30)
            except WorkerError:
                pass

    def _run_tests(self) -> JudgeResult:
        if self.problem.is_unittest:
            return self._run_test_file()
        tests = self.problem.tests
        results: list[TestResult] = []
        try:
            loaded = self._call(self._load_msg("main", self.code, self.problem.fn_name), 60)
            if not loaded.get("ok"):
                err = TestResult(
                    Verdict.RUNTIME_ERROR, message=loaded.get("error", "compile error"), stderr=loaded.get("error", "")
                )
                rest = Verdict.SKIPPED if self.cfg.stop_on_first_failure else Verdict.RUNTIME_ERROR
                results = [err] + [TestResult(rest) for _ in tests[1:]]
                return self._result(results)
            if self.problem.checker:
                checker = self._call(self._load_msg("checker", self.problem.checker, "check"), 60)
                if not checker.get("ok"):
                    return JudgeResult.judge_error(
                        f"checker does not compile: {checker.get('error')}", len(tests), self.worker.isolation
                    )
                results = self._checked_tests()
            else:
                results = self._streamed_tests()
            for i, result in enumerate(results):
                if result.verdict is Verdict.JUDGE_ERROR:
                    return JudgeResult(
                        Verdict.JUDGE_ERROR,
                        sum(r.verdict is Verdict.ACCEPTED for r in results),
                        len(tests),
                        results,
                        self.worker.isolation,
                        f"test {i}: {result.message}",
                    )
        except WorkerDied as exc:
            # The worker is trusted code; it dies when the judged program manages to kill it.
            results.append(TestResult(Verdict.RUNTIME_ERROR, message=f"the program killed the judge worker ({exc})"))
        except WorkerError as exc:
            return JudgeResult.judge_error(str(exc), len(tests), self.worker.isolation)
        return self._result(results)

    def _run_test_file(self) -> JudgeResult:
        """A unit-test problem: one pytest run of the test file, one result per collected test."""
        isolation, qid = self.worker.isolation, self.problem.question_id
        timeout = self.cfg.test_file_timeout
        if self.cfg.total_timeout is not None:
            timeout = min(timeout, self.cfg.total_timeout)
        try:
            loaded = self._call(
                {
                    **self._load_msg("main", self.code, None),
                    "mode": "pytest",
                    "exitfirst": self.cfg.stop_on_first_failure,
                    "runner": self.cfg.unit_test_runner,
                },
                60,
            )
            if not loaded.get("ok"):
                # pytest would fail collecting: importing solution raises the same error.
                error = loaded.get("error", "compile error")
                return self._result_of(
                    [
                        TestResult(
                            Verdict.RUNTIME_ERROR,
                            0.0,
                            error,
                            f"collecting the tests failed: solution.py: {error}",
                            TEST_FILE_NAME,
                        )
                    ]
                )
            replies: list[dict] = []
            self._stream(
                [solution_test_module(self.problem.test_file)],
                lambda r: bool(replies.append(r)) or True,
                stop_on_failure=False,
                timeout=timeout,
            )
        except WorkerDied as exc:
            return self._result_of(
                [
                    TestResult(
                        Verdict.RUNTIME_ERROR,
                        name=TEST_FILE_NAME,
                        message=f"the program killed the judge worker ({exc})",
                    )
                ]
            )
        except WorkerError as exc:
            return JudgeResult.judge_error(str(exc), 1, isolation)
        reply = replies[0] if replies else {"status": "lost"}
        if reply.get("status") == "setup_error":
            return JudgeResult.judge_error(f"problem {qid!r}: {reply.get('error', 'setup error')}", 1, isolation)
        run = self._to_result(reply)
        try:
            results = results_of_run(reply, run, self.problem.test_file)
        except TestFileError as exc:
            return JudgeResult.judge_error(f"problem {qid!r}: {exc}", 1, isolation)
        if run.stderr and results:
            results[-1].stderr = results[-1].stderr or run.stderr
        return self._result_of(results)

    def _result_of(self, tests: list[TestResult]) -> JudgeResult:
        """The result of a sample whose tests are all in ``tests`` (a unit-test problem's)."""
        passed = sum(t.verdict is Verdict.ACCEPTED for t in tests)
        failing = next((t.verdict for t in tests if t.verdict not in (Verdict.ACCEPTED, Verdict.SKIPPED)), None)
        return JudgeResult(failing or Verdict.ACCEPTED, passed, len(tests), tests, self.worker.isolation)

    def _streamed_tests(self) -> list[TestResult]:
        """All tests in one request; results stream back and are compared here as they come."""
        tests, results = self.problem.tests, []

        def take(reply: dict) -> bool:
            result = self._to_result(reply)
            if result.verdict is Verdict.ACCEPTED:  # ran normally: now the output decides
                result = self._check(tests[reply["i"]], reply, result)
            results.append(result)
            if result.verdict is Verdict.JUDGE_ERROR:
                return False
            return result.verdict is Verdict.ACCEPTED or not self.cfg.stop_on_first_failure

        self._stream([t.input for t in tests], take, self.cfg.stop_on_first_failure)
        return results

    def _checked_tests(self) -> list[TestResult]:
        """Problems with a checker program: one request per test, since the checker runs between."""
        tests, results = self.problem.tests, []
        started = time.monotonic()
        for test in tests:
            budget = self.cfg.total_timeout
            if budget is not None and time.monotonic() - started >= budget:
                results.append(TestResult(Verdict.TIME_LIMIT, message=BUDGET_MESSAGE))
                break
            reply = self._call(self._run_msg("main", test.input), self.cfg.timeout + 30)
            result = self._to_result(reply)
            if reply.get("status") == "ok":
                ok, message = self._run_checker(test, self._output_of(reply))
                result = TestResult(
                    Verdict.ACCEPTED if ok else Verdict.WRONG_ANSWER, result.time, result.stderr, message
                )
            results.append(result)
            if result.verdict is not Verdict.ACCEPTED and self.cfg.stop_on_first_failure:
                break
        return results

    def _stream(self, inputs: list[str], take, stop_on_failure: bool, timeout: float | None = None) -> None:
        """Run the loaded program on ``inputs`` in one request. ``take(reply)`` sees each result
        in order and returns False to stop the rest (the worker then ends the running test).
        ``timeout``: per input, the config's by default."""
        timeout = self.cfg.timeout if timeout is None else timeout
        budget = self.cfg.total_timeout
        if self.lcb:
            # LCB: an alarm per test, and the whole sample killed after (timeout + 1) * n + 5 s.
            budget = lcb.sample_timeout(self.cfg.timeout, len(inputs)) if budget is None else budget
            timeout = max(timeout, budget)
        msg = {
            "op": "tests",
            "slot": "main",
            "inputs": inputs,
            "stop_on_first_failure": stop_on_failure,
            "total_timeout": budget,
            "timeout": timeout,
            **self._limits(),
            **self._alarm(),
            "end": not self.problem.checker,  # nothing else runs in this sample afterwards
        }
        self.worker.send(msg)
        stopped = False
        while True:
            # The worker enforces every per-test limit itself; this only guards against a stuck worker.
            reply = self.worker.receive(timeout + 30)
            if "i" not in reply:  # the stream's last message
                if reply.get("error"):
                    raise WorkerError(f"judge worker refused the tests: {reply['error']}")
                break
            if stopped:
                continue
            if not take(reply):
                stopped = True
                if reply.get("status") == "ok" or not stop_on_failure:  # else the worker stops by itself
                    self.worker.send({"op": "stop"})
        self.ended = msg["end"]

    def _load_msg(self, slot: str, code: str, func_name: str | None) -> dict:
        # With the limits, the worker starts the program's process as soon as it has answered.
        msg = {
            "op": "load",
            "slot": slot,
            "code": code,
            "mode": "call" if func_name else "stdin",
            "func_name": func_name,
            **self._limits(),
        }
        if self.lcb and slot == "main":
            msg.update(
                code=lcb.call_program(code) if func_name else lcb.stdin_program(code),
                semantics="lcb",
                solution_class=lcb.has_solution_class(code),
            )
        return msg

    def _alarm(self) -> dict:
        return {"alarm": max(1, int(self.cfg.timeout))} if self.lcb else {}

    def _output_of(self, reply: dict) -> str:
        """What the program produced: stdout, or the JSON of a functional program's value."""
        if self.lcb:
            if self.problem.is_functional:
                return json.dumps(lcb.untyped(reply.get("typed_result")), default=repr)
            return reply.get("captured", "")
        return reply.get("result", "null") if self.problem.is_functional else reply.get("stdout", "")

    def _limits(self) -> dict:
        return {
            "memory_mb": self.cfg.memory_mb,
            "output_limit": self.output_limit,
            "max_processes": self.cfg.max_processes,
        }

    def _run_msg(self, slot: str, text: str) -> dict:
        return {
            "op": "run",
            "slot": slot,
            "input": text,
            "timeout": self.cfg.timeout,
            **self._limits(),
            **(self._alarm() if slot == "main" else {}),
        }

    def _to_result(self, reply: dict) -> TestResult:
        """The verdict of one test from the worker's reply."""
        t = float(reply.get("time", 0.0))
        stderr = reply.get("stderr", "")
        status = reply.get("status")
        if status == "ok":
            return TestResult(Verdict.ACCEPTED, t, stderr)
        failure = _FAILURES.get(status)
        if failure is None:
            return TestResult(Verdict.JUDGE_ERROR, t, stderr, f"unexpected worker status {status!r}")
        message = BUDGET_MESSAGE if status == "budget" else (reply.get("error") or status)
        if "MemoryError" in message or (
            failure is Verdict.RUNTIME_ERROR and reply.get("signal") == 9 and "MemoryError" in stderr
        ):
            failure = Verdict.MEMORY_LIMIT
        return TestResult(failure, t, stderr, message)

    def outputs(self, inputs: Sequence[str]) -> list[RunOutput]:
        """Run the program on every input and keep what it produced (no comparison)."""
        runs: list[RunOutput] = []
        try:
            loaded = self._call(self._load_msg("main", self.code, self.problem.fn_name), 60)
            if not loaded.get("ok"):
                error = loaded.get("error", "compile error")
                return [RunOutput(Verdict.RUNTIME_ERROR, None, error, 0.0, error) for _ in inputs]

            def take(reply: dict) -> bool:
                result = self._to_result(reply)
                if result.verdict is Verdict.ACCEPTED:
                    output = self._output_of(reply)
                    runs.append(RunOutput(Verdict.ACCEPTED, output, result.stderr, result.time))
                else:
                    runs.append(RunOutput(result.verdict, None, result.stderr, result.time, result.message))
                return True

            self._stream(list(inputs), take, stop_on_failure=False)
        except WorkerDied as exc:
            runs += [
                RunOutput(Verdict.RUNTIME_ERROR, None, "", 0.0, f"the program killed the judge worker ({exc})")
                for _ in inputs[len(runs) :]
            ]
        except WorkerError as exc:
            runs += [RunOutput(Verdict.JUDGE_ERROR, None, "", 0.0, str(exc)) for _ in inputs[len(runs) :]]
        finally:
            self._end()
        return runs

    def _check(self, test: TestCase, reply: dict, ran: TestResult) -> TestResult:
        """The verdict of a normally finished run: its output against the expected one."""
        if self.lcb:
            return self._check_lcb(test, reply, ran)
        if self.problem.is_functional:
            try:
                expected = loads_json(test.output)
            except ValueError:
                return TestResult(
                    Verdict.JUDGE_ERROR, ran.time, ran.stderr, f"expected output is not JSON: {test.output[:100]!r}"
                )
            output = reply.get("result", "null")
            try:
                ok = compare_values(loads_json(output), expected, self.cfg.compare, self.cfg.abs_tol, self.cfg.rel_tol)
            except ValueError:
                return TestResult(Verdict.WRONG_ANSWER, ran.time, ran.stderr, "return value could not be read back")
        else:
            output = reply.get("stdout", "")
            ok = self.compare_stdout(output, test.output)
        if ok:
            return ran
        return TestResult(Verdict.WRONG_ANSWER, ran.time, ran.stderr, describe_mismatch(output, test.output))

    def _check_lcb(self, test: TestCase, reply: dict, ran: TestResult) -> TestResult:
        """LCB's comparisons: its line/Decimal rule on captured sys.stdout, ``==`` on return values."""
        if self.problem.is_functional:
            try:
                ok, got = lcb.compare_call(reply.get("typed_result"), test.output)
            except ValueError:
                return TestResult(
                    Verdict.JUDGE_ERROR, ran.time, ran.stderr, f"expected output is not JSON: {test.output[:100]!r}"
                )
            if ok is None:
                return TestResult(Verdict.RUNTIME_ERROR, ran.time, ran.stderr, got)
            return (
                ran
                if ok
                else TestResult(Verdict.WRONG_ANSWER, ran.time, ran.stderr, f"got {got}, expected {test.output[:200]}")
            )
        output = reply.get("captured", "")
        if lcb.compare_stdout(output, test.output):
            return ran
        return TestResult(Verdict.WRONG_ANSWER, ran.time, ran.stderr, describe_mismatch(output, test.output))

    def _run_checker(self, test: TestCase, output: str) -> tuple[bool, str]:
        import json

        args = "\n".join(json.dumps(x) for x in (test.input, output, test.output))
        reply = self._call(self._run_msg("checker", args), self.cfg.timeout + 30)
        if reply.get("status") != "ok":
            return False, f"checker rejected the output ({reply.get('error') or reply.get('status')})"
        try:
            verdict = loads_json(reply.get("result", "false"))
        except ValueError:
            verdict = False
        return verdict is True, "" if verdict is True else "checker rejected the output"

    def _result(self, tests: list[TestResult]) -> JudgeResult:
        """Tests that did not run are skipped, or out of time when the sample's budget ran out."""
        missing = len(self.problem.tests) - len(tests)
        if missing > 0:
            budget_hit = (
                bool(tests) and tests[-1].verdict is Verdict.TIME_LIMIT and tests[-1].message == BUDGET_MESSAGE
            )
            tests = tests + [
                TestResult(Verdict.TIME_LIMIT, message=BUDGET_MESSAGE) if budget_hit else TestResult(Verdict.SKIPPED)
                for _ in range(missing)
            ]
        passed = sum(t.verdict is Verdict.ACCEPTED for t in tests)
        failing = next((t.verdict for t in tests if t.verdict not in (Verdict.ACCEPTED, Verdict.SKIPPED)), None)
        return JudgeResult(failing or Verdict.ACCEPTED, passed, len(tests), tests, self.worker.isolation)


# Worker statuses of a run that did not finish normally.
_FAILURES = {
    "timeout": Verdict.TIME_LIMIT,
    "memory": Verdict.MEMORY_LIMIT,
    "output_limit": Verdict.OUTPUT_LIMIT,
    "exception": Verdict.RUNTIME_ERROR,
    "signal": Verdict.RUNTIME_ERROR,
    "exit": Verdict.RUNTIME_ERROR,
    "lost": Verdict.RUNTIME_ERROR,
    "setup_error": Verdict.JUDGE_ERROR,
    "bad_input": Verdict.JUDGE_ERROR,
    "bad_return": Verdict.WRONG_ANSWER,
    "budget": Verdict.TIME_LIMIT,
}
BUDGET_MESSAGE = "sample time budget exhausted"


def _expected_total(problem: Problem) -> int:
    """How many tests a result counts before any has run (a unit-test file: one, until collected)."""
    return len(problem.tests) if not problem.is_unittest else 1


def config_fields() -> list[str]:
    return [f.name for f in fields(JudgeConfig)]
