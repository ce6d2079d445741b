"""LLM client throughput and kill -9 resume, against the scripted local server.

    python benchmarks/datagen_concurrency.py [--latency 0.2] [--rounds 10]

1. requests/s at concurrency 1/8/64 with ``--latency`` seconds injected per answer; the ideal is
   ``concurrency / latency``; goal: efficiency >= 0.8 at 64. The server runs in its own process, as
   a real one would, so the client's CPU cost is what is measured.
2. resume after ``kill -9``: a cached batch runs in a subprocess and is killed half-way; a resumed
   run must send no request whose answer was already cached (goal: 0 repeated).
3. cache-hit throughput: the same batch again, answered entirely from the SQLite cache.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from xcoder.llm import LLMClient, LLMConfig, ResponseCache, chat_many_sync
from xcoder.llm.testing import FakeChatServer, numbered_requests


async def _throughput(url: str, concurrency: int, rounds: int) -> float:
    config = LLMConfig(base_url=url, model="fake-model", max_concurrency=concurrency)
    async with LLMClient(config) as llm:
        await llm.chat_many(numbered_requests(concurrency), progress=False)  # open connections
        requests = numbered_requests(concurrency * rounds)
        start = time.perf_counter()
        results = await llm.chat_many(requests, progress=False)
        elapsed = time.perf_counter() - start
    failed = [r for r in results if not hasattr(r, "texts")]
    if failed:
        raise SystemExit(f"{len(failed)} requests failed, e.g. {failed[0]}")
    return len(requests) / elapsed


def throughput(latency: float, rounds: int, levels: list[int]) -> list[tuple[int, float, float]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "xcoder.llm.testing", "serve", "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()
        rows = []
        for concurrency in levels:
            rate = asyncio.run(_throughput(url, concurrency, rounds))
            rows.append((concurrency, rate, rate / (concurrency / latency)))
        return rows
    finally:
        server.stdin.close()
        server.wait(timeout=10)


def resume_after_kill(count: int, concurrency: int, latency: float, workdir: Path) -> dict[str, float]:
    cache = workdir / "cache.sqlite"
    with FakeChatServer(latency=latency) as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xcoder.llm.testing",
                "batch",
                "--base-url",
                server.url,
                "--cache",
                str(cache),
                "--count",
                str(count),
                "--concurrency",
                str(concurrency),
            ],
            stdout=subprocess.DEVNULL,
        )
        while server.request_count < count // 2 and proc.poll() is None:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        seen_before_kill = {b["messages"][0]["content"] for b in server.chat_bodies()}
        with ResponseCache(cache) as c:
            cached = {req["messages"][0]["content"] for _, req, _ in c.entries()}
        server.reset()
        config = LLMConfig(base_url=server.url, model="fake-model", max_concurrency=concurrency, cache_path=str(cache))
        start = time.perf_counter()
        results, _ = chat_many_sync(config, numbered_requests(count), progress=False)
        resumed_s = time.perf_counter() - start
        resent = [b["messages"][0]["content"] for b in server.chat_bodies()]
        ok = sum(1 for r in results if hasattr(r, "texts"))
        start = time.perf_counter()
        server.reset()
        chat_many_sync(config, numbered_requests(count), progress=False)
        hit_rate = count / (time.perf_counter() - start)
        return {
            "sent_before_kill": len(seen_before_kill),
            "cached_at_kill": len(cached),
            "resent": len(resent),
            "repeated": len(set(resent) & cached),
            "in_flight_redone": len(set(resent) & (seen_before_kill - cached)),
            "complete": ok,
            "resume_s": resumed_s,
            "rerun_http": server.request_count,
            "cache_hit_rate": hit_rate,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per answer")
    parser.add_argument("--rounds", type=int, default=10, help="requests per level = concurrency x rounds")
    parser.add_argument("--levels", default="1,8,64")
    parser.add_argument("--kill-count", type=int, default=2000, help="batch size of the resume test")
    args = parser.parse_args()
    console = Console()

    rows = throughput(args.latency, args.rounds, [int(x) for x in args.levels.split(",")])
    table = Table(
        title=f"LLM client throughput ({args.latency * 1000:.0f} ms injected latency, "
        f"server in its own process, {os.cpu_count()} CPUs)"
    )
    for col in ("concurrency", "requests/s", "ideal", "efficiency"):
        table.add_column(col, justify="right")
    for concurrency, rate, eff in rows:
        table.add_row(str(concurrency), f"{rate:.1f}", f"{concurrency / args.latency:.0f}", f"{eff:.2f}")
    console.print(table)

    with tempfile.TemporaryDirectory() as tmp:
        r = resume_after_kill(args.kill_count, 64, 0.02, Path(tmp))
    table = Table(title=f"Resume after kill -9 ({args.kill_count} requests, concurrency 64, 20 ms latency)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in [
        ("requests received by the server before kill", r["sent_before_kill"]),
        ("entries in cache after kill", r["cached_at_kill"]),
        ("requests sent on resume", r["resent"]),
        ("repeated completed requests (goal 0)", r["repeated"]),
        ("in-flight at kill, redone", r["in_flight_redone"]),
        ("results complete after resume", f"{r['complete']}/{args.kill_count}"),
        ("HTTP requests on a full rerun", r["rerun_http"]),
        ("cache-hit throughput (requests/s)", f"{r['cache_hit_rate']:.0f}"),
    ]:
        table.add_row(label, str(value))
    console.print(table)
    goal = rows[-1][2] >= 0.8 if rows and rows[-1][0] == 64 else None
    console.print(f"efficiency at 64 >= 0.8: {goal}; repeated after resume == 0: {r['repeated'] == 0}")


if __name__ == "__main__":
    main()
