"""Paired comparison of two models on the same problems: is B better than A beyond noise?

Two models scored on the same problems differ far less than their separate 95% intervals suggest,
because most of the spread is in the problems (some easy, some hard), and both models see the same
ones. The paired statistic is the mean over problems of ``score_B - score_A`` (per-problem avg@n
difference); its interval comes from a percentile bootstrap that resamples *problems* (whole pairs).

Several runs (seeds) are pooled in one of two ways:

* the same problems, several training seeds of a model: average each problem's score over the seeds
  first (:func:`average_runs`), then compare once;
* different problem sets (e.g. each demo seed samples its own held-out split): pass one
  :class:`PairedRun` per seed to :func:`paired_bootstrap`. Problems are resampled within each run
  (a stratified bootstrap) and the statistic is the mean over all pooled problems. It holds the runs
  fixed; :func:`between_runs` adds the spread between them (each run one observation, a t interval).

Problems that move together (e.g. all statements of one task family, which a small model answers with
one program) are not independent; ``paired_bootstrap(..., by_cluster=True)`` resamples whole clusters
(:attr:`PairedRun.clusters`) instead, which gives the wider, honest interval for such data.

``python -m eval.paired A_DIR B_DIR [A_DIR2 B_DIR2 ...]`` compares eval output directories (their
``samples.jsonl``) pair by pair, pooled.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


def per_problem_scores(samples: str | Path) -> dict[str, float]:
    """Per-problem avg@n (fraction of accepted samples) from an eval's ``samples.jsonl`` (or the
    directory holding it): ``{question_id: correct / n}``."""
    path = Path(samples)
    if path.is_dir():
        path = path / "samples.jsonl"
    scores: dict[str, float] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            graded = row.get("graded_list") or []
            if not graded:
                raise ValueError(f"{path}: problem {row.get('question_id')!r} has no graded samples")
            scores[str(row["question_id"])] = sum(bool(g) for g in graded) / len(graded)
    return scores


def average_runs(runs: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per-problem mean over several runs of one model on the same problems (e.g. RL seeds).
    Every run must score exactly the same problems."""
    if not runs:
        raise ValueError("no runs to average")
    keys = set(runs[0])
    for i, r in enumerate(runs[1:], 1):
        if set(r) != keys:
            raise ValueError(f"run {i} scores different problems than run 0 ({len(set(r) ^ keys)} differ)")
    return {k: sum(r[k] for r in runs) / len(runs) for k in sorted(keys)}


@dataclass
class PairedRun:
    """One set of problems scored by model A and model B (e.g. one seed); ``clusters`` optionally maps each
    problem to a group whose problems move together (its task family), for ``by_cluster`` bootstraps."""

    a: Mapping[str, float]
    b: Mapping[str, float]
    clusters: Mapping[str, str] | None = None

    def differences(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The common problems (sorted) with A's and B's scores; a problem only one model has is an error:
        silently dropping it would compare different problem sets."""
        if set(self.a) != set(self.b):
            only_a, only_b = sorted(set(self.a) - set(self.b)), sorted(set(self.b) - set(self.a))
            raise ValueError(f"models scored different problems: only A {only_a[:3]}, only B {only_b[:3]}")
        keys = sorted(self.a)
        return keys, np.array([self.a[k] for k in keys], float), np.array([self.b[k] for k in keys], float)


@dataclass
class PairedComparison:
    """B - A over the pooled problems. Scores are fractions in [0, 1]."""

    num_problems: int
    num_runs: int
    mean_a: float
    mean_b: float
    diff: float  # mean_b - mean_a = mean of the per-problem differences
    ci_low: float
    ci_high: float
    confidence: float
    up: int  # problems where B scores higher
    down: int  # problems where B scores lower
    unchanged: int
    sign_test_p: float  # exact two-sided sign test on up vs down (unchanged problems left out)
    resamples: int
    seed: int
    clusters: int = 0  # clusters resampled (by_cluster); 0: problems were resampled

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0."""
        return self.ci_low > 0 or self.ci_high < 0

    def to_dict(self) -> dict[str, float | int | bool]:
        return {**asdict(self), "significant": self.significant}

    def line(self, label_a: str = "A", label_b: str = "B") -> str:
        """One human-readable line, in percentage points."""
        return (
            f"{label_b} - {label_a} = {100 * self.diff:+.1f} points "
            f"({100 * self.confidence:.0f}% CI {100 * self.ci_low:+.1f} .. {100 * self.ci_high:+.1f}) over "
            f"{self.num_problems} problems in {self.num_runs} run(s); {label_a} {100 * self.mean_a:.1f}%, "
            f"{label_b} {100 * self.mean_b:.1f}%; up {self.up}, down {self.down}, unchanged {self.unchanged}; "
            f"sign test p = {self.sign_test_p:.3g}"
        )


def sign_test(up: int, down: int) -> float:
    """Exact two-sided binomial sign test p-value for ``up`` successes in ``up + down`` fair trials."""
    n = up + down
    if n == 0:
        return 1.0
    k = min(up, down)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / (1 << n)  # integers: 2.0**n overflows past n = 1023
    return min(1.0, 2.0 * tail)


def paired_bootstrap(
    runs: PairedRun | Sequence[PairedRun],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    tolerance: float = 1e-12,
    by_cluster: bool = False,
) -> PairedComparison:
    """Paired percentile-bootstrap interval of mean(B - A) over problems, resampling problems with
    replacement within each run (stratified when several runs are pooled). Deterministic in ``seed``.

    ``by_cluster``: resample each run's clusters (:attr:`PairedRun.clusters`, every problem in one) instead
    of its problems; the statistic is the pooled mean over the problems the resampled clusters hold."""
    if isinstance(runs, PairedRun):
        runs = [runs]
    if not runs:
        raise ValueError("no runs to compare")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    rng = np.random.default_rng(seed)
    a_all, b_all, sums, counts, num_clusters = [], [], np.zeros(resamples), np.zeros(resamples), 0
    for i, run in enumerate(runs):
        keys, a, b = run.differences()
        if len(a) == 0:
            raise ValueError(f"run {i} has no problems")
        d = b - a
        if by_cluster:
            sizes, totals = _cluster_totals(run, keys, d, i)
            idx = rng.integers(0, len(sizes), size=(resamples, len(sizes)))
            sums += totals[idx].sum(axis=1)
            counts += sizes[idx].sum(axis=1)
            num_clusters += len(sizes)
        else:
            idx = rng.integers(0, len(d), size=(resamples, len(d)))
            sums += d[idx].sum(axis=1)
            counts += len(d)
        a_all.append(a)
        b_all.append(b)
    a, b = np.concatenate(a_all), np.concatenate(b_all)
    d = b - a
    means = sums / counts
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    up, down = int((d > tolerance).sum()), int((d < -tolerance).sum())
    return PairedComparison(
        num_problems=len(d),
        num_runs=len(runs),
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        diff=float(d.mean()),
        ci_low=float(lo),
        ci_high=float(hi),
        confidence=confidence,
        up=up,
        down=down,
        unchanged=len(d) - up - down,
        sign_test_p=sign_test(up, down),
        resamples=resamples,
        seed=seed,
        clusters=num_clusters,
    )


def _cluster_totals(run: PairedRun, keys: list[str], d: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Each cluster's problem count and summed difference, clusters in sorted order."""
    if not run.clusters:
        raise ValueError(f"run {i} has no clusters to resample")
    missing = [k for k in keys if k not in run.clusters]
    if missing:
        raise ValueError(f"run {i}: {len(missing)} problem(s) have no cluster, e.g. {missing[:3]}")
    labels = sorted({run.clusters[k] for k in keys})
    where = {label: j for j, label in enumerate(labels)}
    of = np.array([where[run.clusters[k]] for k in keys])
    return np.bincount(of, minlength=len(labels)).astype(float), np.bincount(of, weights=d, minlength=len(labels))


def unpaired_bootstrap(
    a: Sequence[float], b: Sequence[float], *, resamples: int = 10_000, seed: int = 0, confidence: float = 0.95
) -> dict[str, float | int]:
    """Percentile-bootstrap interval of mean(b) - mean(a) for two independent samples (each resampled
    on its own), for what cannot be paired, e.g. the tasks of a run's first steps against its last."""
    if not a or not b:
        raise ValueError("both samples need at least one value")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    x, y = np.asarray(a, float), np.asarray(b, float)
    rng = np.random.default_rng(seed)
    means_x = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    means_y = y[rng.integers(0, len(y), size=(resamples, len(y)))].mean(axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(means_y - means_x, [alpha, 1 - alpha])
    return {
        "n_a": len(x),
        "n_b": len(y),
        "mean_a": float(x.mean()),
        "mean_b": float(y.mean()),
        "diff": float(y.mean() - x.mean()),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "confidence": confidence,
        "resamples": resamples,
        "seed": seed,
    }


def between_runs(runs: Sequence[PairedRun], *, confidence: float = 0.95) -> dict[str, float | int]:
    """Student-t interval of the mean per-run difference, each run (seed) one observation.

    The stratified bootstrap holds the runs fixed: it asks whether *these* models differ on more problems
    like these. When each seed trains its own models, a rerun also moves the result by its training
    trajectory; this interval counts that spread (and the problem noise inside each run's mean), so it is
    the wider, more honest one for "does the method gain with a new seed". Needs at least 2 runs."""
    from scipy import stats

    if len(runs) < 2:
        raise ValueError(f"an interval between runs needs at least 2 runs, got {len(runs)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    diffs = np.array([float((b - a).mean()) for _, a, b in (run.differences() for run in runs)])
    n, mean, sd = len(diffs), float(diffs.mean()), float(diffs.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return {
        "num_runs": n,
        "diff": mean,
        "sd": sd,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "confidence": confidence,
        "per_run": [float(d) for d in diffs],
    }


def compare_dirs(pairs: Sequence[tuple[str | Path, str | Path]], **kw) -> PairedComparison:
    """:func:`paired_bootstrap` on eval output directories, one (A, B) pair per run."""
    return paired_bootstrap([PairedRun(per_problem_scores(a), per_problem_scores(b)) for a, b in pairs], **kw)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.paired", description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+", help="eval output dirs (or samples.jsonl files): A1 B1 [A2 B2 ...]")
    ap.add_argument("--labels", nargs=2, default=("A", "B"), metavar=("A", "B"))
    ap.add_argument("--resamples", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = ap.parse_args(argv)
    if len(args.dirs) % 2:
        ap.error("give the directories in pairs: A1 B1 [A2 B2 ...]")
    pairs = list(zip(args.dirs[::2], args.dirs[1::2]))
    res = compare_dirs(pairs, resamples=args.resamples, seed=args.seed)
    print(json.dumps(res.to_dict(), indent=2) if args.json else res.line(*args.labels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
