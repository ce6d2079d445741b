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
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from data_gen.records import Provenance, Solution, Task, TaskTestInputs, TestInput, VerifiedTask, VotedTest
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
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

        voted: list[VotedTest] = []
        passes: list[list[bool]] = []  # per voted test, per candidate
        dropped_tests: Counter = Counter()
        errors = 0
        for j, test in enumerate(inputs):
            outputs = [run[j].output if run[j].ok else None for run in runs]
            errors += sum(run[j].verdict.value == "judge_error" for run in runs)
            result = vote(outputs, same, cfg.min_votes, cfg.min_agreement, cfg.ties)
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
            winners = set(result.winners)
            passes.append([k in winners for k in range(len(candidates))])
        if errors and errors == sum(len(r) for r in runs):
            raise Drop("judge_error")
        if len(voted) < cfg.min_tests:
            raise Drop("too_few_voted_tests")

        split_holdout(voted, cfg.holdout_fraction, random.Random(self.ctx.seed_for("split", task.id)))
        suite = [j for j, t in enumerate(voted) if t.split == "suite"]
        holdout = [j for j, t in enumerate(voted) if t.split == "holdout"]
        if not holdout:
            raise Drop("no_holdout_tests")
        total_weight = sum(voted[j].weight for j in suite)
        scores = [sum(voted[j].weight for j in suite if passes[j][k]) / total_weight for k in range(len(candidates))]
        golden_k = max(range(len(candidates)), key=lambda k: (scores[k], -k))
        golden = candidates[golden_k]
        if scores[golden_k] < cfg.min_golden_score:
            raise Drop("golden_below_min_score")
        if not all(passes[j][golden_k] for j in holdout):
            raise Drop("golden_failed_holdout")

        # Statement examples: how often the vote agrees with the output the statement claims.
        claimed = {ex.input: ex.output for ex in task.examples}
        checks = [same(t.output, claimed[t.input]) for t in voted if t.kind == "sample" and t.input in claimed]
        sample_agreement = sum(checks) / len(checks) if checks else None

        verified = VerifiedTask(
            id=make_id("verified", task.id),
            task=task,
            golden=golden,
            tests=voted,
            golden_score=round(scores[golden_k], 4),
            candidate_scores={c.id: round(s, 4) for c, s in zip(candidates, scores)},
            pass_rate=round(sum(all(p[k] for p in passes) for k in range(len(candidates))) / len(candidates), 4),
            sample_agreement=None if sample_agreement is None else round(sample_agreement, 4),
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
                raise Drop("judge_error")
            if not res.accepted:
                raise Drop(f"golden_failed_final_check:{res.verdict.value}")
        return ItemResult([verified])


STAGE = VerifyStage
