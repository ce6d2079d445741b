"""The demo pipeline over several seeds: does it learn, and how long does it take?

    .venv/bin/python benchmarks/demo_pipeline.py --seeds 0 1 2 [--config recipes/tiny/pipeline.yaml]

Each seed is a full run of ``xcoder pipeline`` (new tasks, new held-out instances, new tokenizer
and model) in ``runs/bench/demo-seed<k>``; a finished seed is resumed, not rerun. Prints one row
per seed (held-out avg@8 of base/SFT/RL, stage and total wall-clock seconds, machine load) and
the means; record them in BENCHMARKS.md under "Demo pipeline". Goal: SFT >= base + 0.10 and RL
not below SFT beyond noise, within 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="recipes/tiny/pipeline.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="runs/bench")
    args = parser.parse_args()

    rows = []
    for seed in args.seeds:
        out = Path(args.out) / f"demo-seed{seed}"
        load_before = os.getloadavg()[0]
        cmd = [
            sys.executable,
            "-m",
            "xcoder.cli",
            "pipeline",
            "--config",
            args.config,
            "--seed",
            str(seed),
            "--output-dir",
            str(out),
        ]
        subprocess.run(cmd, cwd=ROOT, check=True)
        summary = json.loads((ROOT / out / "summary.json").read_text())
        n = summary["eval_protocol"]["n"]
        rows.append(
            {
                "seed": seed,
                **{m: summary[m][f"avg@{n}"] for m in ("base", "sft", "rl") if m in summary},
                **{f"t_{k}": v for k, v in summary["timings_seconds"].items()},
                "load_before": round(load_before, 1),
                "load_after": round(os.getloadavg()[0], 1),
            }
        )

    keys = [
        "seed",
        "base",
        "sft",
        "rl",
        "t_data",
        "t_model",
        "t_verify",
        "t_sft",
        "t_grpo",
        "t_eval",
        "t_total",
        "load_before",
        "load_after",
    ]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(_fmt(k, r.get(k)) for k in keys) + " |")
    means = {
        k: statistics.mean(r[k] for r in rows if r.get(k) is not None) for k in keys[1:] if any(k in r for r in rows)
    }
    print("| mean | " + " | ".join(_fmt(k, means.get(k)) for k in keys[1:]) + " |")


def _fmt(key: str, value) -> str:
    if value is None:
        return "–"
    if key in ("base", "sft", "rl"):
        return f"{100 * value:.1f}"
    if key == "seed":
        return str(value)
    return f"{value:.0f}" if key.startswith("t_") else f"{value:.1f}"


if __name__ == "__main__":
    main()
