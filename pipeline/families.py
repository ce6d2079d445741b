"""Where a held-out difference comes from: the paired difference per task family.

A small model maps a statement to one family's program. Under a phrasing it never saw, GRPO can move
that mapping for a whole family at once, in either direction: after RL, every held-out statement of one
family may get another family's program. Each family holds 1/14 of the demo's held-out split, so one
such flip moves a seed's avg@n by several points. This module measures it, per family and seed, from the
``family`` in each procedural held-out row's metadata. Runs whose rows carry no family are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SHIFT = 0.25  # a family whose mean moved this much (25 points) counts as moved as a whole


def holdout_families(run: Path) -> dict[str, str]:
    """``{question_id: family}`` from a pipeline run's ``data/holdout.jsonl``; {} when its rows carry none."""
    path = run / "data" / "holdout.jsonl"
    if not path.is_file():
        return {}
    out = {}
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            try:
                meta = json.loads(row.get("metadata") or "{}")
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: metadata is not JSON ({e})") from None
            if isinstance(meta, dict) and meta.get("family"):
                out[row["question_id"]] = str(meta["family"])
    return out


def row_families(path: Path) -> dict[str, int]:
    """GRPO rows per family in an RL rows file, from each procedural row's ``source``
    (``procedural:<family>``); rows from elsewhere are not counted."""
    counts: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            source = str(json.loads(line).get("source") or "")
            if source.startswith("procedural:"):
                family = source.split(":", 1)[1]
                counts[family] = counts.get(family, 0) + 1
    return counts


def rows_vs_moves(per_seed: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, float | int] | None:
    """Across seed × family cells: the correlation between a family's share of its seed's GRPO rows and its
    held-out B − A (does the family GRPO trained on most gain, and its neighbours lose?). None below 3 cells
    or without row counts."""
    import numpy as np

    share, move = [], []
    for fams in per_seed.values():
        total = sum(c.get("grpo_rows", 0) for c in fams.values())
        if not total:
            continue
        for c in fams.values():
            share.append(c.get("grpo_rows", 0) / total)
            move.append(c["diff"])
    if len(share) < 3 or np.std(share) == 0 or np.std(move) == 0:
        return None
    return {"cells": len(share), "r": float(np.corrcoef(share, move)[0, 1])}


def family_differences(
    a: Mapping[str, float], b: Mapping[str, float], families: Mapping[str, str]
) -> dict[str, dict[str, float | int]]:
    """Per family: its problems, A's and B's mean scores and B − A, over the problems both models scored."""
    groups: dict[str, list[str]] = {}
    for q in sorted(set(a) & set(b)):
        if q in families:
            groups.setdefault(families[q], []).append(q)
    out = {}
    for family in sorted(groups):
        qs = groups[family]
        mean_a, mean_b = sum(a[q] for q in qs) / len(qs), sum(b[q] for q in qs) / len(qs)
        out[family] = {"problems": len(qs), "a": mean_a, "b": mean_b, "diff": mean_b - mean_a}
    return out


def moved_summary(per_family: Mapping[str, Mapping[str, float]], shift: float = SHIFT) -> dict[str, Any]:
    """Which families moved as a whole (|B − A| ≥ ``shift``), and how much of the seed's overall B − A
    they make: each family weighs its share of the problems."""
    total = sum(f["problems"] for f in per_family.values()) or 1
    up = sorted(k for k, f in per_family.items() if f["diff"] >= shift)
    down = sorted(k for k, f in per_family.items() if f["diff"] <= -shift)

    def part(keys: Sequence[str]) -> float:
        return sum(per_family[k]["problems"] * per_family[k]["diff"] for k in keys) / total

    rest = [k for k in per_family if k not in up and k not in down]
    return {"shift": shift, "up": up, "down": down, "moved_part": part(up + down), "rest_part": part(rest)}


def markdown_table(per_seed: Mapping[str, Mapping[str, Mapping[str, float]]], label: str = "RL − SFT") -> list[str]:
    """A family × seed table of B − A in points; moved families (|B − A| ≥ ``SHIFT``) in bold."""
    seeds = list(per_seed)
    families = sorted({f for fams in per_seed.values() for f in fams})
    lines = [
        "| family | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---|" + "---:|" * len(seeds),
    ]
    for family in families:
        cells = []
        for s in seeds:
            c = per_seed[s].get(family)
            if c is None:
                cells.append("–")
                continue
            text = f"{100 * c['a']:.0f} → {100 * c['b']:.0f} ({100 * c['diff']:+.0f})"
            text = f"**{text}**" if abs(c["diff"]) >= SHIFT else text
            cells.append(f"{text} [{c['grpo_rows']}]" if "grpo_rows" in c else text)
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    heading = (
        f"{label} per held-out family, SFT → RL avg@n % (difference in points; bold: moved ≥ {100 * SHIFT:.0f}"
        + (
            "; [n]: the family's GRPO rows"
            if any("grpo_rows" in c for f in per_seed.values() for c in f.values())
            else ""
        )
        + "):"
    )
    return [heading, "", *lines]


def plot(path: Path, per_seed: Mapping[str, Mapping[str, Mapping[str, float]]], label: str = "RL − SFT") -> None:
    """A heat map, families × seeds, of B − A in points, each cell written out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    seeds: Sequence[str] = list(per_seed)
    families = sorted({f for fams in per_seed.values() for f in fams})
    grid = np.full((len(families), len(seeds)), np.nan)
    for j, s in enumerate(seeds):
        for i, family in enumerate(families):
            if family in per_seed[s]:
                grid[i, j] = 100 * per_seed[s][family]["diff"]
    fig, ax = plt.subplots(figsize=(1.1 * len(seeds) + 3.5, 0.38 * len(families) + 1.6))
    image = ax.imshow(grid, cmap="RdBu", vmin=-100, vmax=100, aspect="auto")
    for (i, j), v in np.ndenumerate(grid):
        if not np.isnan(v):
            ax.text(
                j,
                i,
                f"{v:+.0f}",
                ha="center",
                va="center",
                fontsize=7,
                weight="bold" if abs(v) >= 100 * SHIFT else None,
            )
    ax.set_xticks(range(len(seeds)), [f"seed {s}" for s in seeds], fontsize=8)
    ax.set_yticks(range(len(families)), families, fontsize=8)
    ax.set_title(f"{label} per held-out family, points")
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
