"""Benchmark scores from per-sample verdicts: avg@n (the headline), unbiased pass@k, CIs.

``avg@n`` is the mean over problems of c/n (c correct of n samples) — what X-Coder and recent
code-reasoning papers report as "avg@8"; it equals the unbiased pass@1. ``pass@k`` uses the
unbiased estimator of Chen et al. (2021), 1 - C(n-c, k) / C(n, k), averaged over problems.
All values are fractions in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DIFFICULTIES = ("easy", "medium", "hard")
Z95 = 1.959963984540054


@dataclass
class ProblemScore:
    """One problem's graded samples (True = accepted), with the fields we group by."""

    question_id: str
    difficulty: str
    platform: str
    graded: list[bool]

    @property
    def n(self) -> int:
        return len(self.graded)

    @property
    def correct(self) -> int:
        return sum(self.graded)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem: the chance that k of the n samples, drawn without
    replacement, include a correct one. Computed as a stable product, no big binomials."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    prob_all_wrong = 1.0
    for i in range(n - c + 1, n + 1):
        prob_all_wrong *= 1.0 - k / i
    return 1.0 - prob_all_wrong


def k_values(n: int) -> list[int]:
    """Every power of two <= n, plus n itself (so pass@n is always reported)."""
    ks = []
    k = 1
    while k <= n:
        ks.append(k)
        k *= 2
    if n >= 1 and ks[-1] != n:
        ks.append(n)
    return ks


def mean_ci95(values: Sequence[float]) -> tuple[float, float, float] | None:
    """Mean and normal-approximation 95% interval over problems (clipped to [0, 1]). The
    interval reflects problem sampling: how much the score would move on another draw of
    problems of the same kind. None for an empty list."""
    m = len(values)
    if m == 0:
        return None
    mean = sum(values) / m
    if m == 1:
        return mean, mean, mean
    var = sum((v - mean) ** 2 for v in values) / (m - 1)
    half = Z95 * math.sqrt(var / m)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def score_group(problems: Sequence[ProblemScore], n: int) -> dict[str, float | int | list[float]]:
    """Metrics for one group of problems; every problem must have exactly n samples."""
    for p in problems:
        if p.n != n:
            raise ValueError(f"problem {p.question_id!r} has {p.n} graded samples, expected {n}")
    out: dict[str, float | int | list[float]] = {"num_problems": len(problems), "num_samples": n * len(problems)}
    if not problems:
        return out
    per_problem = [p.correct / n for p in problems]
    mean, lo, hi = mean_ci95(per_problem)  # type: ignore[misc]
    out[f"avg@{n}"] = mean
    for k in k_values(n):
        out[f"pass@{k}"] = sum(pass_at_k(n, p.correct, k) for p in problems) / len(problems)
    out[f"avg@{n}_ci95"] = [lo, hi]
    out["num_correct_samples"] = sum(p.correct for p in problems)
    out["num_solved"] = sum(1 for p in problems if p.correct > 0)
    return out


def _groups(problems: Iterable[ProblemScore], key: str, order: Sequence[str] = ()) -> dict[str, list[ProblemScore]]:
    groups: dict[str, list[ProblemScore]] = {name: [] for name in order}
    for p in problems:
        groups.setdefault((getattr(p, key) or "unknown").lower(), []).append(p)
    return groups


def score(problems: Sequence[ProblemScore], n: int) -> dict[str, dict]:
    """``overall``, ``by_difficulty`` (easy/medium/hard always present, plus any other label),
    and ``by_platform``."""
    return {
        "overall": score_group(problems, n),
        "by_difficulty": {d: score_group(ps, n) for d, ps in _groups(problems, "difficulty", DIFFICULTIES).items()},
        "by_platform": {pl: score_group(ps, n) for pl, ps in sorted(_groups(problems, "platform").items())},
    }
