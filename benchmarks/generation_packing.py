"""Transformers-backend generation: one problem's samples per generate() call against packed problems.

Runs the held-out eval of a finished demo run (its SFT model on its held-out split; judged, so the
scores are compared too) once per batch size, in interleaved rounds so that a busy machine slows
both alike, and prints wall time and avg@n per run:

    .venv/bin/python benchmarks/generation_packing.py [--run runs/demo] [--batch-sizes 8,64] [--rounds 2]

Batch size n (8) is the pipeline's default, one problem per call; 64 packs 8 problems. The samples
differ between the two (drawn per pack), so avg@n agrees only within sampling noise. Figures go to
BENCHMARKS.md ("Evaluation").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/demo", help="A finished pipeline run (its sft/ and data/holdout.jsonl).")
    ap.add_argument("--batch-sizes", default="8,64", help="Comma-separated batch sizes to compare.")
    ap.add_argument("--rounds", type=int, default=2, help="Interleaved rounds per batch size.")
    ap.add_argument("--n", type=int, default=8, help="Samples per problem.")
    args = ap.parse_args()

    import torch

    from eval.dataset import DatasetConfig
    from eval.generate import GenerationConfig, SamplingConfig, problems_per_call
    from eval.runner import EvalConfig, run_eval
    from xcoder.judge import JudgeConfig

    torch.set_num_threads(1)
    run = Path(args.run)
    model, holdout = run / "sft", run / "data" / "holdout.jsonl"
    if not model.is_dir() or not holdout.is_file():
        sys.exit(f"{run} is not a finished pipeline run (needs {model} and {holdout}); run `make demo` first")
    sizes = [int(x) for x in args.batch_sizes.split(",")]
    times: dict[int, list[float]] = {b: [] for b in sizes}
    scores: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for b in sizes:
                out = Path(tmp) / f"b{b}_r{r}"
                start = time.perf_counter()
                res = run_eval(
                    EvalConfig(
                        dataset=DatasetConfig(str(holdout)),
                        output_dir=str(out),
                        generation=GenerationConfig(
                            backend="transformers", model=str(model), system_prompt=None, batch_size=b, device="cpu"
                        ),
                        sampling=SamplingConfig(n=args.n, temperature=0.6, top_p=0.95, max_tokens=160, seed=r),
                        judge=JudgeConfig(workers=2),
                        name=f"b{b}",
                    )
                )
                times[b].append(time.perf_counter() - start)
                scores[b] = scores.get(b, 0.0) + res["overall"][f"avg@{args.n}"] / args.rounds
    head = f"{'batch size':>10} | {'problems per call':>17} | {'median s':>8} | runs (s) | avg@{args.n} (round mean)"
    print("\n" + head)
    for b in sizes:
        runs = ", ".join(f"{t:.0f}" for t in times[b])
        per, median = problems_per_call(b, args.n), statistics.median(times[b])
        print(f"{b:>10} | {per:>17} | {median:>8.1f} | {runs} | {100 * scores[b]:.1f}")


if __name__ == "__main__":
    main()
