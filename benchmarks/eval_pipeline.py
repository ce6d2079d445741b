"""Eval pipeline throughput on a CPU: judge + cache + score + report for a LiveCodeBench-sized run.

Builds a synthetic benchmark by copying the 8 hand-written fixture problems under new ids (so
1055 problems ~ release_v6's size), writes a samples file with the fixture's right and wrong
programs (n=8, 6 right and 2 wrong each), then times:
  1. a fresh ``samples`` eval (judging every sample, caching verdicts, scoring, report + plot);
  2. the same command again (everything cached: what a resumed run costs besides generation);
  3. scoring alone on the cached verdicts (eval.scoring).

Run by hand: .venv/bin/python benchmarks/eval_pipeline.py [--problems 1055] [--n 8] [--workers 0]
Figures go to BENCHMARKS.md ("Evaluation").
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "lcb_mini"


def build(tmp: Path, problems: int, n: int) -> tuple[Path, Path]:
    rows = [json.loads(line) for f in ("test.jsonl", "test2.jsonl") for line in (FIXTURE / f).read_text().splitlines()]
    sol = json.loads((FIXTURE / "solutions.json").read_text())
    data, samples = tmp / "lcb", tmp / "samples.jsonl"
    data.mkdir()
    with open(data / "test.jsonl", "w") as d, open(samples, "w") as s:
        for k in range(problems):
            row = dict(rows[k % len(rows)])
            src = row["question_id"]
            row["question_id"] = f"{src}-copy{k}"
            d.write(json.dumps(row) + "\n")
            codes = [sol[src]["correct"]] * (n - 2) + [sol[src]["wrong"]] * 2
            s.write(json.dumps({"question_id": row["question_id"], "code_list": codes}) + "\n")
    return data, samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=1055)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--workers", type=int, default=0, help="judge workers (0: one per core)")
    args = ap.parse_args()

    from eval.dataset import DatasetConfig
    from eval.generate import GenerationConfig, SamplingConfig
    from eval.runner import EvalConfig, run_eval
    from eval.scoring import ProblemScore, score
    from xcoder.judge import JudgeConfig

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        data, samples = build(tmp, args.problems, args.n)
        cfg = EvalConfig(
            dataset=DatasetConfig(str(data)),
            output_dir=str(tmp / "out"),
            generation=GenerationConfig(backend="samples", samples_path=str(samples)),
            sampling=SamplingConfig(n=args.n),
            judge=JudgeConfig(workers=args.workers),
        )
        total = args.problems * args.n
        t0 = time.perf_counter()
        res = run_eval(cfg)
        fresh = time.perf_counter() - t0
        assert res["overall"][f"avg@{args.n}"] == (args.n - 2) / args.n, res["verdicts"]
        t0 = time.perf_counter()
        run_eval(cfg)
        cached = time.perf_counter() - t0
        rows = [json.loads(x) for x in (tmp / "out" / "samples.jsonl").read_text().splitlines()]
        scores = [ProblemScore(r["question_id"], r["difficulty"], r["platform"], r["graded_list"]) for r in rows]
        t0 = time.perf_counter()
        score(scores, args.n)
        scoring = time.perf_counter() - t0
    print(
        f"problems={args.problems} n={args.n} samples={total} cpus={os.cpu_count()} "
        f"judge_workers={args.workers or os.cpu_count()}"
    )
    print(f"fresh eval (judge+cache+score+report): {fresh:.1f} s  ({total / fresh:.0f} samples/s)")
    print(f"rerun, all verdicts cached:          {cached:.1f} s")
    print(f"scoring alone:                       {scoring * 1000:.0f} ms")


if __name__ == "__main__":
    main()
