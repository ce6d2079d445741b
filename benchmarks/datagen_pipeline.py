"""SynthSmith pipeline throughput: all nine stages against the scripted local server.

The "model" is ``tests/datagen_fake.py`` (real statements, correct and wrong solutions, cyaron
generators) behind ``xcoder.llm.testing.FakeChatServer`` with an injected latency per answer; the
judge runs every program for real. Reports wall time, items and LLM requests per stage, and the
cost of re-running a finished pipeline (everything resumed from disk and the response cache).

    .venv/bin/python benchmarks/datagen_pipeline.py --tasks 24 --latency 0.2
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from datagen_fake import ScriptedModel  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from data_gen.config import STAGES, config_from_dict  # noqa: E402
from data_gen.runner import run_stage  # noqa: E402
from xcoder.judge import Judge  # noqa: E402
from xcoder.llm.testing import FakeChatServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=24, help="feature configs = tasks")
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per LLM answer")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--judge-workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="output dir (default: a temporary one, removed)")
    args = parser.parse_args()

    out = Path(args.out or tempfile.mkdtemp(prefix="datagen-bench-"))
    console = Console()
    with FakeChatServer(ScriptedModel(), latency=args.latency) as server:
        config = config_from_dict(
            {
                "output_dir": str(out),
                "random_seed": 1,
                "llm": {"base_url": server.url, "model": "fake-model", "max_concurrency": args.concurrency},
                "seeds": {"limit": args.seeds},
                "judge": {"workers": args.judge_workers},
                "tree": {"num_configs": args.tasks, "min_leaf_count": 2},
                "solutions": {"n": 6},
                "tests": {"llm_inputs": 4, "seeds_per_scale": 2},
                "filter": {"min_tests": 4, "near_dup_threshold": None},
            }
        )
        table = Table(
            title=f"SynthSmith pipeline, {args.tasks} tasks, {args.latency * 1000:.0f} ms per LLM answer, "
            f"concurrency {args.concurrency}, {args.judge_workers} judge workers",
            title_justify="left",
        )
        for col in ("stage", "items", "kept", "dropped", "LLM requests", "seconds", "items/s", "rerun seconds"):
            table.add_column(col, justify="left" if col == "stage" else "right")
        rows = []
        with Judge(config.judge) as judge:
            total = time.monotonic()
            for name in STAGES:
                before = server.request_count
                start = time.monotonic()
                summary = run_stage(config, name, progress=False, judge=judge)
                rows.append(
                    [
                        name,
                        summary.items,
                        summary.kept,
                        sum(summary.dropped.values()),
                        server.request_count - before,
                        time.monotonic() - start,
                    ]
                )
            total = time.monotonic() - total
            before = server.request_count
            for row in rows:
                start = time.monotonic()
                run_stage(config, row[0], progress=False, judge=judge)
                row.append(time.monotonic() - start)
            assert server.request_count == before, "a rerun of a finished pipeline sent requests"
    for name, items, kept, dropped, requests, seconds, rerun in rows:
        table.add_row(
            name,
            str(items),
            str(kept),
            str(dropped),
            str(requests),
            f"{seconds:.2f}",
            f"{items / seconds:.1f}" if seconds else "-",
            f"{rerun:.2f}",
        )
    table.add_row(
        "total", "", "", "", str(sum(r[4] for r in rows)), f"{total:.2f}", "", f"{sum(r[6] for r in rows):.2f}"
    )
    console.print(table)
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
