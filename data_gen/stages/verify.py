"""Stage 7, ``verify``: dual verification of tasks, solutions and tests against each other.

For every task:

1. run every candidate solution on every test input in the judge's sandbox
   (``Judge.run_outputs``), keeping what each run printed (or returned);
2. per input, group the successful runs' outputs by the judge's own comparison rules and take the
   most common as the expected output, if it has at least ``verify.min_votes`` runs and at least
   ``verify.min_agreement`` of the successful runs (ties: ``verify.ties``); the vote share is kept;
3. split the voted tests into a *suite* and a *hold-out* part (``verify.holdout_fraction``, drawn
   per scale so both halves see small and stress tests; statement examples stay in the suite);
4. score every candidate on the suite with weights by scale (boundary and stress tests weigh more,
   ``verify.weights``); the best is the *golden* solution (ties: lowest sample index);
5. keep the task only if the golden solution reaches ``verify.min_golden_score`` on the suite and
   passes every hold-out test — and, with ``verify.final_check``, is accepted by ``Judge.judge``
   on all voted tests, the path rewards and eval take.

The golden solution passing tests it was not selected on is what makes the voted outputs
trustworthy: a majority that is merely consistently wrong on some inputs rarely produces a single
candidate that is right everywhere else.

Then the suite checks (``data_gen/checks/``, each a switch of the ``verify`` section):

* multi-answer tasks vote by **checker** acceptance (``check(input, output, reference)``, tested in
  ``tests``), and the checker must also reject corrupted golden outputs;
* a **brute-force cross-check**: the independently prompted naive solver runs on the small inputs;
  voted outputs it disagrees with drop the task (or the test, or flag it: ``verify.cross_check``);
* **time limits**: the golden solution's slowest test x ``verify.time_factor``; a brute-force solver
  that says it is too slow at the limits must time out on some stress/large test (``slow_check``);
* **mutation adequacy**: golden-solution mutants (``ast``) and the losing candidates are run on every
  input; the tests must reject at least ``verify.min_mutation_score`` of those that change an output,
  and with ``verify.trim`` the suite is cut to a small subset that still rejects them all;
* **output balance**: one output filling too many tests, or a constant program passing too many.

Counts of every check are notes in the stage report (``cross_check:tests``/``cross_check:disagree``
feed the dataset card's label-error estimate).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from data_gen.checks.mutants import make_mutants
from data_gen.checks.suite import balance, corruptions, mutation_score, trim_suite
from data_gen.records import Provenance, Solution, Task, TaskTestInputs, TestInput, VerifiedTask, VotedTest
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.tests import run_checker
from data_gen.storage import shard_of
from xcoder.hashing import make_id
from xcoder.judge.compare import compare_values, loads_json, stdout_comparator


@dataclass
class Vote:
    output: str | None  # None: no output won
    votes: int
    runs: int
    winners: list[int]  # candidate indices in the winning group
    reason: str = ""  # why no output won

    @property
    def share(self) -> float:
        return self.votes / self.runs if self.runs else 0.0


def output_comparator(
    functional: bool, mode: str = "lcb", abs_tol: float = 1e-6, rel_tol: float = 1e-6
) -> Callable[[str, str], bool]:
    """Whether two outputs count as the same answer, by the judge's rules."""
    if not functional:
        return stdout_comparator(mode, abs_tol, rel_tol)

    def same(a: str, b: str) -> bool:
        try:
            return compare_values(loads_json(a), loads_json(b), mode, abs_tol, rel_tol)
        except ValueError:
            return False

    return same


def vote(
    outputs: Sequence[str | None],
    same: Callable[[str, str], bool],
    min_votes: int,
    min_agreement: float,
    ties: str = "drop",
) -> Vote:
    """Majority vote over one input's outputs (None = that candidate's run failed)."""
    groups: list[tuple[str, list[int]]] = []
    runs = 0
    for k, out in enumerate(outputs):
        if out is None:
            continue
        runs += 1
        for rep, members in groups:
            if same(out, rep):
                members.append(k)
                break
        else:
            groups.append((out, [k]))
    if not groups:
        return Vote(None, 0, 0, [], "no_successful_run")
    groups.sort(key=lambda g: -len(g[1]))  # stable: among equals, the first seen stays first
    best, members = groups[0]
    if len(groups) > 1 and len(groups[1][1]) == len(members) and ties == "drop":
        return Vote(None, len(members), runs, [], "tie")
    if len(members) < min_votes:
        return Vote(None, len(members), runs, [], "too_few_votes")
    if len(members) / runs < min_agreement:
        return Vote(None, len(members), runs, [], "no_majority")
    return Vote(best, len(members), runs, members)


def split_holdout(tests: list[VotedTest], fraction: float, rng: random.Random) -> None:
    """Mark about ``fraction`` of the non-example tests of each scale as ``holdout`` (in place)."""
    by_scale: dict[str, list[VotedTest]] = defaultdict(list)
    for t in tests:
        if t.kind != "sample":
            by_scale[t.scale].append(t)
    carry = 0.0
    for scale in sorted(by_scale):
        group = by_scale[scale]
        rng.shuffle(group)
        exact = len(group) * fraction + carry
        n_hold = int(exact)
        carry = exact - n_hold  # small groups share the rounding, so the total stays near fraction
        for t in group[:n_hold]:
            t.split = "holdout"


class VerifyStage(Stage):
    name = "verify"
    inputs = ("tasks", "solutions", "tests")
    uses_judge = True

    def items(self) -> Iterable[WorkItem]:
        tasks = self.ctx.read("tasks", Task)
        i, n = self.ctx.shard
        # Load candidates and inputs only for the tasks this run will process (memory of big runs).
        wanted = {t.id for t in tasks if t.id not in self.ctx.done and shard_of(t.id, n) == i}
        solutions: dict[str, list[Solution]] = defaultdict(list)
        for s in self.ctx.read("solutions", Solution, keep=lambda row: row.get("task_id") in wanted):
            solutions[s.task_id].append(s)
        tests = {
            t.task_id: t for t in self.ctx.read("tests", TaskTestInputs, keep=lambda row: row.get("task_id") in wanted)
        }
        for task in tasks:
            cands = sorted(solutions.get(task.id, []), key=lambda s: (s.index, s.id))
            if task.id not in wanted:
                yield WorkItem(task.id)  # done already, or another shard's
            elif task.id not in tests:
                yield WorkItem(task.id, drop="no_test_inputs")
            elif len(cands) < self.config.verify.min_candidates:
                yield WorkItem(task.id, drop="too_few_candidates")
            else:
                yield WorkItem(task.id, (task, cands, tests[task.id]))

    async def process(self, item: WorkItem) -> ItemResult:
        task, candidates, test_inputs = item.payload
        cfg = self.config.verify
        judge = self.ctx.judge
        inputs: list[TestInput] = test_inputs.inputs
        texts = [t.input for t in inputs]
        runs = await asyncio.gather(
            *(asyncio.to_thread(judge.run_outputs, c.code, texts, task.fn_name) for c in candidates)
        )
        jcfg = judge.config
        same = output_comparator(task.is_functional, jcfg.compare, jcfg.abs_tol, jcfg.rel_tol)
        programs = {p.role: p for p in test_inputs.programs if not p.error}
        checker = programs["checker"].code if task.multi_answer and cfg.checker and "checker" in programs else None
        accepts = _Acceptance(judge, checker, same, texts)
        if checker is not None:  # every pair of different outputs of one input, in one sandbox session
            await accepts.prepare(
                [
                    (j, a, b)
                    for j in range(len(inputs))
                    for a in _distinct(run[j].output for run in runs if run[j].ok)
                    for b in _distinct(run[j].output for run in runs if run[j].ok)
                    if a != b
                ]
            )
        notes: Counter = Counter()
        flags: list[str] = []

        voted: list[VotedTest] = []
        voted_at: list[int] = []  # input index of each voted test
        passes: list[list[bool]] = []  # per voted test, per candidate
        dropped_tests: Counter = Counter()
        errors = 0
        for j, test in enumerate(inputs):
            outputs = [run[j].output if run[j].ok else None for run in runs]
            errors += sum(run[j].verdict.value == "judge_error" for run in runs)
            result = vote(outputs, accepts.for_input(j), cfg.min_votes, cfg.min_agreement, cfg.ties)
            if result.output is None:
                dropped_tests[result.reason] += 1
                continue
            voted.append(
                VotedTest(
                    test.input,
                    result.output,
                    test.kind,
                    test.scale,
                    float(cfg.weights.get(test.scale, 1.0)),
                    round(result.share, 4),
                    result.votes,
                    result.runs,
                )
            )
            voted_at.append(j)
            winners = set(result.winners)
            passes.append([k in winners for k in range(len(candidates))])
        if errors and errors == sum(len(r) for r in runs):
            raise Drop("judge_error")

        # Brute-force cross-check of the small inputs' voted outputs.
        cross = {"tests": 0, "disagree": 0}
        brute = programs.get("brute_force")
        if brute is not None and cfg.cross_check != "off" and voted:
            # A solver that says it is fast enough at the limits is run on every test: bugs of a wrong
            # majority often show only on larger inputs.
            small = [i for i, t in enumerate(voted) if t.scale in cfg.cross_check_scales or brute.slow is False]
            ran = await asyncio.to_thread(
                judge.run_outputs,
                brute.code,
                [voted[i].input for i in small],
                task.fn_name,
                timeout=cfg.cross_check_timeout,
            )
            pairs = [(i, r.output) for i, r in zip(small, ran) if r.ok]
            if checker is not None:
                await accepts.prepare([(voted_at[i], out, voted[i].output) for i, out in pairs])
            disagree = {i for i, out in pairs if not accepts.same(voted_at[i], out, voted[i].output)}
            cross = {"tests": len(pairs), "disagree": len(disagree)}
            notes.update({"cross_check:tests": len(pairs), "cross_check:disagree": len(disagree)})
            if disagree:
                if cfg.cross_check == "drop_task":
                    raise Drop("cross_check:disagrees", notes=notes)
                if cfg.cross_check == "drop_test":
                    dropped_tests["cross_check_disagrees"] += len(disagree)
                    keep = [i for i in range(len(voted)) if i not in disagree]
                    voted, voted_at, passes = ([v[i] for i in keep] for v in (voted, voted_at, passes))
                else:
                    flags.append("cross_check_disagrees")
        if len(voted) < cfg.min_tests:
            raise Drop("too_few_voted_tests", notes=notes)

        split_holdout(voted, cfg.holdout_fraction, random.Random(self.ctx.seed_for("split", task.id)))
        suite = [j for j, t in enumerate(voted) if t.split == "suite"]
        holdout = [j for j, t in enumerate(voted) if t.split == "holdout"]
        if not holdout:
            raise Drop("no_holdout_tests", notes=notes)
        total_weight = sum(voted[j].weight for j in suite)
        scores = [sum(voted[j].weight for j in suite if passes[j][k]) / total_weight for k in range(len(candidates))]
        golden_k = max(range(len(candidates)), key=lambda k: (scores[k], -k))
        golden = candidates[golden_k]
        if scores[golden_k] < cfg.min_golden_score:
            raise Drop("golden_below_min_score", notes=notes)
        if not all(passes[j][golden_k] for j in holdout):
            raise Drop("golden_failed_holdout", notes=notes)

        # Statement examples: how often the vote agrees with the output the statement claims.
        claimed = {ex.input: ex.output for ex in task.examples}
        sample_at = [
            (voted_at[i], t.output, claimed[t.input])
            for i, t in enumerate(voted)
            if t.kind == "sample" and t.input in claimed
        ]
        if checker is not None:
            await accepts.prepare(sample_at)
        checks = [accepts.same(j, out, want) for j, out, want in sample_at]
        sample_agreement = sum(checks) / len(checks) if checks else None

        if checker is not None:  # the checker must reject corrupted golden outputs too
            trials = [
                (voted_at[i], bad, voted[i].output)
                for i in range(min(3, len(voted)))
                for bad in corruptions(voted[i].output, task.is_functional)
            ]
            await accepts.prepare(trials)
            if any(accepts.same(j, bad, ref) for j, bad, ref in trials):
                raise Drop("checker:accepts_corrupted_output", notes=notes)

        golden_times = [runs[golden_k][j].time for j in voted_at]
        time_limit = round(
            min(jcfg.timeout, max(cfg.min_time_limit, max(golden_times, default=0.0) * cfg.time_factor)), 3
        )

        adequacy = await self._adequacy(
            task, golden, golden_k, candidates, runs, voted, voted_at, passes, accepts, time_limit, notes
        )
        if adequacy["mutation_score"] is not None and adequacy["mutation_score"] < cfg.min_mutation_score:
            raise Drop("low_mutation_score", notes=notes)
        if cfg.trim and adequacy["kills"]:
            keep = {i for i, t in enumerate(voted) if t.kind == "sample" or t.scale == "stress"}
            order = sorted(range(len(voted)), key=lambda i: (-voted[i].weight, i))
            chosen = trim_suite(adequacy["kills"], len(voted), keep, cfg.trim_min_tests, order)
            notes["trim:tests_removed"] += len(voted) - len(chosen)
            adequacy["trimmed_from"] = len(voted)
            voted, voted_at, passes = ([v[i] for i in chosen] for v in (voted, voted_at, passes))
        del adequacy["kills"]

        if brute is not None and brute.slow and cfg.slow_check != "off":
            big = [t.input for t in voted if t.scale in ("stress", "large")][:3]
            if big:
                ran = await asyncio.to_thread(judge.run_outputs, brute.code, big, task.fn_name, timeout=time_limit)
                if not any(r.verdict.value == "time_limit" for r in ran):
                    notes["slow_check:no_timeout"] += 1
                    if cfg.slow_check == "drop":
                        raise Drop("slow_check:stress_tests_not_slow", notes=notes)
                    flags.append("stress_tests_not_slow")

        share = constant = None
        if cfg.balance != "off":
            outputs = [t.output for t in voted]
            top = _distinct(sorted(outputs, key=outputs.count, reverse=True))[:5]
            if checker is not None:
                await accepts.prepare([(voted_at[i], o, t.output) for o in top for i, t in enumerate(voted)])
            share, constant = balance(outputs, lambda i, o: accepts.same(voted_at[i], o, voted[i].output))
            reason = (
                "unbalanced:dominant_output"
                if share > cfg.max_output_share
                else "unbalanced:constant_output_passes"
                if constant > cfg.max_constant_pass
                else None
            )
            if reason is not None:
                notes[reason] += 1
                if cfg.balance == "drop":
                    raise Drop(reason, notes=notes)
                flags.append(reason.split(":", 1)[1])

        verified = VerifiedTask(
            id=make_id("verified", task.id),
            task=task,
            golden=golden,
            tests=voted,
            golden_score=round(scores[golden_k], 4),
            candidate_scores={c.id: round(s, 4) for c, s in zip(candidates, scores)},
            pass_rate=round(sum(all(p[k] for p in passes) for k in range(len(candidates))) / len(candidates), 4),
            sample_agreement=None if sample_agreement is None else round(sample_agreement, 4),
            checker=checker,
            time_limit=time_limit,
            checks={
                "cross_check": cross,
                **adequacy,
                "output_share": None if share is None else round(share, 4),
                "constant_pass": None if constant is None else round(constant, 4),
                "flags": flags,
            },
            provenance=Provenance(
                stage=self.name,
                source="derived",
                parents=[task.id, test_inputs.id] + [c.id for c in candidates],
                extra={"dropped_tests": dict(dropped_tests), "inputs": len(inputs), "candidates": len(candidates)},
            ),
        )
        if cfg.final_check:
            res = await asyncio.to_thread(judge.judge, verified.to_problem(), golden.code)
            if res.verdict.value == "judge_error":
                raise Drop("judge_error", notes=notes)
            if not res.accepted:
                raise Drop(f"golden_failed_final_check:{res.verdict.value}", notes=notes)
        return ItemResult([verified], notes=notes)

    async def _adequacy(
        self,
        task: Task,
        golden: Solution,
        golden_k: int,
        candidates: list[Solution],
        runs: list,
        voted: list[VotedTest],
        voted_at: list[int],
        passes: list[list[bool]],
        accepts: _Acceptance,
        time_limit: float,
        notes: Counter,
    ) -> dict:
        """Run golden-solution mutants on every input; score the tests by the wrong programs they
        reject among those that change an output (mutants and the candidates that lost a vote)."""
        cfg = self.config.verify
        mutants = make_mutants(golden.code, cfg.mutants, self.ctx.seed_for("mutants", task.id))
        texts = accepts.texts
        gold = runs[golden_k]
        mutant_runs = await asyncio.gather(
            *(
                asyncio.to_thread(self.ctx.judge.run_outputs, m.code, texts, task.fn_name, timeout=time_limit)
                for m in mutants
            )
        )
        if accepts.checker is not None:
            await accepts.prepare(
                [
                    (j, r[j].output, gold[j].output)
                    for r in mutant_runs
                    for j in range(len(texts))
                    if r[j].ok and gold[j].ok and r[j].output != gold[j].output
                ]
            )
        differs, killed, kills = [], [], []
        at = {j: i for i, j in enumerate(voted_at)}
        for r in mutant_runs:
            wrong = {
                j
                for j in range(len(texts))
                if gold[j].ok and not (r[j].ok and accepts.same(j, r[j].output, gold[j].output))
            }
            differs.append(bool(wrong))
            kill = {at[j] for j in wrong if j in at}
            killed.append(bool(kill))
            kills.append(kill)
        losers = [k for k in range(len(candidates)) if k != golden_k and not all(p[k] for p in passes)]
        for k in losers:
            kills.append({i for i, p in enumerate(passes) if not p[k]})
        score = mutation_score(differs + [True] * len(losers), killed + [True] * len(losers))
        notes.update(
            {
                "mutants:run": len(mutants),
                "mutants:changing_an_output": sum(differs),
                "mutants:rejected": sum(k for d, k in zip(differs, killed) if d),
            }
        )
        return {
            "mutants": len(mutants),
            "wrong_programs": sum(differs) + len(losers),
            "mutation_score": None if score is None else round(score, 4),
            "kills": kills,
        }


def _distinct(values: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v is not None and v not in out:
            out.append(v)
    return out


class _Acceptance:
    """Whether an output counts as the same answer as a reference on input ``j``: the judge's
    comparison, or for multi-answer tasks the checker (run in batches by :meth:`prepare`)."""

    def __init__(self, judge, checker: str | None, same: Callable[[str, str], bool], texts: list[str]):
        self.judge, self.checker, self._same, self.texts = judge, checker, same, texts
        self.known: dict[tuple[int, str, str], bool] = {}

    async def prepare(self, triples: Sequence[tuple[int, str, str]]) -> None:
        if self.checker is None:
            return
        todo = list(dict.fromkeys(t for t in triples if t[1] != t[2] and t not in self.known))
        if not todo:
            return
        verdicts = await asyncio.to_thread(
            run_checker,
            self.judge,
            self.checker,
            [(self.texts[j], a, b) for j, a, b in todo],
            self.judge.config.timeout,
        )
        for key, verdict in zip(todo, verdicts):
            self.known[key] = verdict is True

    def same(self, j: int, output: str, reference: str) -> bool:
        if self.checker is None:
            return self._same(output, reference)
        return output == reference or self.known.get((j, output, reference), False)

    def for_input(self, j: int) -> Callable[[str, str], bool]:
        return lambda a, b: self.same(j, a, b)


STAGE = VerifyStage
