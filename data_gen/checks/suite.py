"""Suite adequacy and balance, as pure functions over run results (the judge runs the programs).

* :func:`corruptions` — wrong variants of a right output (a changed number, one value fewer or
  more, a broken format) that a trustworthy checker must reject;
* :func:`mutation_score` — the share of wrong programs (mutants, losing candidates) that change
  an output on the task's inputs and are rejected by the tests;
* :func:`trim_suite` — a small subset of tests that still rejects every rejected wrong program,
  plus the tests that must stay (examples, stress tests), topped up to a minimum size;
* :func:`balance` — how much one output dominates, and how many tests a constant program passes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence

_NUMBER = re.compile(r"-?\d+")


def corruptions(output: str, functional: bool) -> list[str]:
    """Wrong variants of ``output`` (none equal to it): changed number, wrong count, bad format."""
    out: list[str] = []
    if functional:
        try:
            value = json.loads(output)
        except ValueError:
            return []
        variants: list[object] = []
        if isinstance(value, bool):
            variants.append(not value)
        elif isinstance(value, (int, float)):
            variants += [value + 1, value - 1]
        elif isinstance(value, list):
            if value:
                variants.append(value[:-1])
                if isinstance(value[0], (int, float)) and not isinstance(value[0], bool):
                    variants.append([value[0] + 1] + value[1:])
            variants.append(value + [value[-1] if value else 0])
        elif isinstance(value, str):
            variants += [value + "x", value[:-1]]
        variants.append("not an answer" if not isinstance(value, str) else None)
        out = [json.dumps(v) for v in variants]
    else:
        text = output.strip()
        match = _NUMBER.search(text)
        if match:  # a changed number
            out.append(text[: match.start()] + str(int(match.group()) + 1) + text[match.end() :] + "\n")
        tokens = text.split()
        if len(tokens) > 1:  # one value fewer / one more
            out.append(text[: text.rstrip().rfind(tokens[-1])].rstrip() + "\n")
        if tokens:
            out.append(text + " " + tokens[-1] + "\n")
        out.append("not an answer\n")  # a broken format
    seen = {output.strip()}
    unique = []
    for c in out:
        if c.strip() not in seen:
            seen.add(c.strip())
            unique.append(c)
    return unique


def mutation_score(differs: Sequence[bool], killed: Sequence[bool]) -> float | None:
    """Killed share of the wrong programs that differ from the golden on some input (None: none do)."""
    relevant = [k for d, k in zip(differs, killed) if d]
    return sum(relevant) / len(relevant) if relevant else None


def trim_suite(
    kills: Sequence[set[int]], n_tests: int, keep: set[int], min_tests: int, order: Sequence[int] | None = None
) -> list[int]:
    """Test indices: ``keep``, then greedily the test rejecting most still-unrejected programs until
    every program some test rejects is rejected, then ``order`` (default: index order) up to ``min_tests``."""
    chosen = set(keep)
    todo = [k for k in kills if k and not (k & chosen)]
    while todo:
        counts = Counter(j for k in todo for j in k)
        best = min(counts, key=lambda j: (-counts[j], j))
        chosen.add(best)
        todo = [k for k in todo if best not in k]
    for j in order if order is not None else range(n_tests):
        if len(chosen) >= min(min_tests, n_tests):
            break
        chosen.add(j)
    return sorted(chosen)


def balance(outputs: Sequence[str], accepts: Callable[[int, str], bool], candidates: int = 5) -> tuple[float, float]:
    """``(most common output's share, best constant program's pass share)`` over the tests' expected
    ``outputs``; ``accepts(j, out)`` says whether test ``j`` accepts ``out``. The constant programs
    tried are the ``candidates`` most common outputs."""
    if not outputs:
        return 0.0, 0.0
    counts = Counter(o.strip() for o in outputs)
    share = counts.most_common(1)[0][1] / len(outputs)
    best = 0.0
    for text, _ in counts.most_common(candidates):
        const = next(o for o in outputs if o.strip() == text)
        best = max(best, sum(accepts(j, const) for j in range(len(outputs))) / len(outputs))
    return share, best
