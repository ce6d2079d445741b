"""Measured label-error rate of verified test suites, on procedural tasks whose true outputs are known.

The procedural families (``data_gen/procedural``) give statements, reference programs and
plausible buggy ones. The ``solutions`` and ``tests`` stages run against the scripted local server
(``xcoder.llm.testing.FakeChatServer``) answering like a model would: per task a realistic mix of
right and wrong samples — usually a right majority with distinct bugs, sometimes (``--wrong-share``)
a consistently wrong majority, the case majority voting cannot catch — plus LLM test inputs, an
input-generator program, a validator and a brute-force solver (another correct implementation).
``verify`` and ``filter`` then run twice: with the suite checks of issue 15 off (xcoder's voting,
hold-out and example checks only) and with the defaults. Every surviving test label is compared
with the reference program's output, run in the judge.

    .venv/bin/python benchmarks/label_errors.py --tasks 60

The last line reads ``label errors: X% surviving (before the new checks: Y%); mutation score: Z``
(Z: the mean share of output-changing golden-solution mutants the surviving suites reject).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from data_gen.config import config_from_dict  # noqa: E402
from data_gen.procedural import ProceduralConfig, instance_records, sample_instances  # noqa: E402
from data_gen.records import VerifiedTask  # noqa: E402
from data_gen.runner import run_stage  # noqa: E402
from data_gen.stages.verify import output_comparator  # noqa: E402
from data_gen.storage import read_records, write_records  # noqa: E402
from xcoder.hashing import derive_seed  # noqa: E402
from xcoder.judge import Judge, JudgeConfig  # noqa: E402
from xcoder.llm.testing import FakeChatServer, HTTPError  # noqa: E402

CHECKS_OFF = {
    "tests": {"brute_force": False, "checker": False},
    "verify": {"cross_check": "off", "mutants": 0, "slow_check": "off", "balance": "off", "checker": False},
}


def _py(code: str) -> str:
    return f"```python\n{code}```"


class ProceduralModel:
    """Answers the solutions and tests prompts of procedural tasks (recognised by their statement)."""

    def __init__(self, instances, wrong_share: float, seed: int):
        self.by_statement = {inst.statement: inst for inst in instances}
        self.wrong_share, self.seed = wrong_share, seed

    def _instance(self, text: str):
        for statement, inst in self.by_statement.items():
            if statement in text:
                return inst
        raise HTTPError(400, "unknown task")

    def __call__(self, call):
        text = call.last_user
        title = text.split("\n", 1)[0].strip()
        inst = self._instance(text)
        f, style = inst.family, inst.style
        rng = random.Random(derive_seed(self.seed, inst.id, "scenario"))
        if title.startswith("### Question"):
            bodies = [f.body] + f.alternatives
            bugs = f.buggy or [f.body]
            if rng.random() < self.wrong_share:  # a consistently wrong majority: 3 x the same bug, 2 right
                mix = [bugs[0]] * 3 + bodies[:1] * 2
            else:  # a right majority: 3 right (reference and alternatives), 2 distinct bugs
                mix = [bodies[k % len(bodies)] for k in range(3)] + [bugs[k % len(bugs)] for k in range(2)]
            rng.shuffle(mix)
            return _py(f.code(style, mix[call.choice_index % len(mix)]))
        if title == "# Test design: test inputs":
            tests = []
            for k in range(6):
                values = f.generate(
                    inst.params, "small" if k < 4 else "edge", derive_seed(self.seed, inst.id, "llm", k)
                )
                value = {a: values[a] for a in f.arg_names} if style == "leetcode" else f.stdin_input(values)
                tests.append({"input": value, "kind": "edge" if k >= 4 else "standard"})
            return json.dumps({"tests": tests})
        if title == "# Test design: input generator program":
            table = {
                scale: [
                    f.test_input(style, f.generate(inst.params, scale, derive_seed(self.seed, inst.id, scale, k)))
                    for k in range(3)
                ]
                for scale in ("small", "medium", "large")
            }
            table["stress"] = table["large"]
            return _py(
                f"import sys\nTABLE = {table!r}\nscale, seed = sys.stdin.readline().split()\n"
                "print(TABLE[scale][int(seed) % len(TABLE[scale])])\n"
            )
        if title == "# Test design: input validator program":
            return _py("import sys\nprint('VALID' if sys.stdin.read().strip() else 'INVALID: empty')\n")
        if title == "# Test design: brute-force solver":
            body = f.alternatives[-1] if f.alternatives else f.body
            return _py(f.code(style, body)) + "\nSLOW AT LIMITS: no\n"
        raise HTTPError(400, f"no scripted answer for {title!r}")


def measure(out: Path, config: dict, judge: Judge, instances) -> dict:
    cfg = config_from_dict(config)
    for stage in ("solutions", "tests", "verify", "filter"):
        run_stage(cfg, stage, progress=False, judge=judge, console=Console(stderr=True, quiet=True))
    kept = read_records(out, "filter", VerifiedTask)
    by_id = {inst.id: inst for inst in instances}
    jobs = [
        (by_id[vt.task.id].family.code(vt.task.style), [t.input for t in vt.tests], vt.task.fn_name) for vt in kept
    ]
    truth = judge.run_outputs_batch(jobs)
    labels = wrong = 0
    for vt, runs in zip(kept, truth):
        same = output_comparator(vt.task.is_functional)
        for test, run in zip(vt.tests, runs):
            labels += 1
            wrong += not (run.ok and same(run.output, test.output))
    scores = [vt.checks["mutation_score"] for vt in kept if vt.checks.get("mutation_score") is not None]
    return {
        "tasks": len(kept),
        "labels": labels,
        "wrong": wrong,
        "rate": wrong / labels if labels else 0.0,
        "mutation_score": sum(scores) / len(scores) if scores else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=60, help="procedural tasks (families round-robin)")
    parser.add_argument("--wrong-share", type=float, default=0.25, help="tasks whose majority shares one bug")
    parser.add_argument("--judge-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="keep the run directories here instead of a temporary directory")
    args = parser.parse_args()

    proc = ProceduralConfig(
        train_tasks=args.tasks, seed=args.seed, examples=2, styles={"codeforces": 0.4, "atcoder": 0.3, "leetcode": 0.3}
    )
    instances = sample_instances(proc, "train")
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="label-errors-"))
    results = {}
    started = time.monotonic()
    model = ProceduralModel(instances, args.wrong_share, args.seed)
    try:
        with FakeChatServer(model) as server, Judge(JudgeConfig(workers=args.judge_workers)) as judge:
            for name, overrides in (("before", CHECKS_OFF), ("after", {})):
                out = base / name
                shutil.rmtree(out, ignore_errors=True)
                write_records(
                    out, "tasks", [instance_records(inst, proc)[0] for inst in instances], writer="procedural"
                )
                config = {
                    "output_dir": str(out),
                    "random_seed": args.seed,
                    "llm": {"base_url": server.url, "model": "scripted", "max_concurrency": 16},
                    "judge": {"workers": args.judge_workers},
                    "solutions": {"n": 5},
                    "tests": {"llm_inputs": 6, "seeds_per_scale": 2},
                    "filter": {"near_dup_threshold": None},
                }
                for key, value in overrides.items():
                    config[key] = {**config.get(key, {}), **value}
                results[name] = measure(out, config, judge, instances)
                r = results[name]
                print(
                    f"{name}: {r['tasks']} tasks kept, {r['wrong']} of {r['labels']} labels wrong "
                    f"({100 * r['rate']:.2f}%)",
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    score = results["after"]["mutation_score"]
    print(f"elapsed {time.monotonic() - started:.0f}s; {args.tasks} tasks, wrong-majority share {args.wrong_share}")
    print(
        f"label errors: {100 * results['after']['rate']:.2f}% surviving (before the new checks: "
        f"{100 * results['before']['rate']:.2f}%); mutation score: {'n/a' if score is None else f'{score:.3f}'}"
    )


if __name__ == "__main__":
    main()
