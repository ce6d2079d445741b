"""Counters the LLM client keeps: tokens, requests, cache hits, retries — per model and endpoint.

Data-generation runs are paid for in tokens and hours; a stage ends by printing :meth:`LLMStats.table`
so that cost and cache effectiveness are visible without digging through logs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ModelStats:
    """Counters for one model. ``requests`` counts client calls (one per ``chat``), ``http_requests``
    the HTTP attempts they caused (retries and ``n`` fallbacks included)."""

    requests: int = 0
    http_requests: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    failures: int = 0


@dataclass
class EndpointStats:
    """Counters for one base URL; ``errors`` are failed attempts (retried or not)."""

    http_requests: int = 0
    errors: int = 0


@dataclass
class LLMStats:
    models: dict[str, ModelStats] = field(default_factory=dict)
    endpoints: dict[str, EndpointStats] = field(default_factory=dict)

    def model(self, name: str) -> ModelStats:
        return self.models.setdefault(name, ModelStats())

    def endpoint(self, url: str) -> EndpointStats:
        return self.endpoints.setdefault(url, EndpointStats())

    def total(self) -> ModelStats:
        out = ModelStats()
        for stats in self.models.values():
            for name, value in asdict(stats).items():
                setattr(out, name, getattr(out, name) + value)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": {k: asdict(v) for k, v in self.models.items()},
            "endpoints": {k: asdict(v) for k, v in self.endpoints.items()},
            "total": asdict(self.total()),
        }

    def table(self, title: str = "LLM usage"):
        """A rich table, one row per model plus a total when there are several."""
        from rich.table import Table

        table = Table(title=title)
        columns = [
            "model",
            "requests",
            "cache hits",
            "cache misses",
            "HTTP requests",
            "retries",
            "failures",
            "prompt tokens",
            "completion tokens",
        ]
        for i, col in enumerate(columns):
            table.add_column(col, justify="left" if i == 0 else "right")
        rows = list(self.models.items())
        if len(rows) > 1:
            rows.append(("total", self.total()))
        for name, s in rows:
            table.add_row(
                name,
                *(
                    f"{v:,}"
                    for v in (
                        s.requests,
                        s.cache_hits,
                        s.cache_misses,
                        s.http_requests,
                        s.retries,
                        s.failures,
                        s.prompt_tokens,
                        s.completion_tokens,
                    )
                ),
            )
        return table
