"""Completion statistics for reasoning models: how often the token budget cut a sample off, and
how long completions are by outcome (long wrong answers and truncations are where budget goes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any


def completion_stats(gens: Mapping[tuple[str, int], Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``truncated`` / ``truncation_rate`` over generated samples (finish reason ``length``) and
    ``mean_tokens`` overall and ``by_outcome`` (only samples whose token count is known: a samples
    file has none). Outcomes are the runner's per-sample ones (judge verdicts, no_code, …)."""
    finished = truncated = 0
    tokens: dict[str, list[int]] = defaultdict(list)
    truncated_by: dict[str, int] = defaultdict(int)
    for row in rows:
        for i, outcome in enumerate(row["verdicts"]):
            g = gens.get((row["question_id"], i))
            if g is None or getattr(g, "finish_reason", None) is None:
                continue
            finished += 1
            if g.finish_reason == "length":
                truncated += 1
                truncated_by[outcome] += 1
            if getattr(g, "num_tokens", None) is not None:
                tokens[outcome].append(int(g.num_tokens))
    every = [t for ts in tokens.values() for t in ts]
    out: dict[str, Any] = {
        "samples_with_finish_reason": finished,
        "truncated": truncated,
        "truncation_rate": truncated / finished if finished else None,
        "truncated_by_outcome": dict(truncated_by),
    }
    out["mean_tokens"] = sum(every) / len(every) if every else None
    out["by_outcome"] = {k: {"samples": len(v), "mean_tokens": sum(v) / len(v)} for k, v in sorted(tokens.items())}
    return out
