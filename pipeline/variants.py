"""Training-set variants for the ablations (``recipes/tiny/ablations.yaml``).

* :func:`more_solutions` — several verified solutions per task instead of one (X-Coder's "unique
  tasks vs. solutions per task" question at an equal sample budget);
* :func:`corrupt_labels` — a share of the RL rows' expected outputs made wrong on purpose (the
  "noisy test labels: threshold vs. binary reward" question).

Both read what the SynthSmith stages wrote and write new files beside it; nothing upstream changes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from xcoder.hashing import derive_seed


def more_solutions(synth_dir: str | Path, k: int, judge: Any) -> list[dict[str, Any]]:
    """SFT rows with up to ``k`` solutions per task: the exported golden row, then other candidates
    (in candidate order, so alternatives before buggy ones) that the judge accepts on *all* the
    task's voted tests — the only evidence of correctness a real pipeline has. Codes are distinct."""
    from data_gen.records import Solution, VerifiedTask
    from data_gen.storage import read_records

    export = Path(synth_dir) / "export" / "sft.jsonl"
    golden_rows = {row["id"]: row for row in map(json.loads, export.read_text(encoding="utf-8").splitlines())}
    tasks = [vt for vt in read_records(synth_dir, "filter", VerifiedTask) if vt.task.id in golden_rows]
    by_task: dict[str, list[Solution]] = {}
    for s in read_records(synth_dir, "solutions", Solution):
        by_task.setdefault(s.task_id, []).append(s)
    pairs, owners = [], []
    for vt in tasks:
        seen = {vt.golden.code.strip()}
        for s in sorted(by_task.get(vt.task.id, []), key=lambda s: s.index):
            if s.id == vt.golden.id or vt.candidate_scores.get(s.id, 0.0) < 1.0 or s.code.strip() in seen:
                continue
            seen.add(s.code.strip())
            pairs.append((vt.to_problem(), s.code))
            owners.append((vt.task.id, s))
    accepted: dict[str, list[Solution]] = {}
    for (task_id, s), res in zip(owners, judge.judge_batch(pairs, progress=True, description="extra solutions")):
        if res.accepted:
            accepted.setdefault(task_id, []).append(s)
    rows = []
    for vt in tasks:
        golden = golden_rows[vt.task.id]
        rows.append(golden)
        for s in accepted.get(vt.task.id, [])[: k - 1]:
            messages = [*golden["messages"][:-1], {"role": "assistant", "content": s.response.strip()}]
            rows.append({**golden, "id": f"{golden['id']}#{s.index}", "messages": messages})
    return rows


def _corrupt(text: str, functional: bool, rng: random.Random) -> str:
    """A plausible wrong output of the same shape (off by one, flipped, changed element)."""
    if functional:
        value = json.loads(text)
        if isinstance(value, bool):
            return json.dumps(not value)
        if isinstance(value, int):
            return json.dumps(value + rng.choice([-1, 1]))
        if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
            i = rng.randrange(len(value))
            return json.dumps(value[:i] + [value[i] + 1] + value[i + 1 :])
        return json.dumps(str(value) + "x")
    stripped = text.strip()
    if stripped in ("Yes", "No"):
        return "No" if stripped == "Yes" else "Yes"
    tokens = stripped.split()
    if tokens and all(t.lstrip("-").isdigit() for t in tokens):
        i = rng.randrange(len(tokens))
        tokens[i] = str(int(tokens[i]) + rng.choice([-1, 1]))
        return " ".join(tokens)
    return stripped + "x"


def corrupt_labels(rl_path: str | Path, fraction: float, seed: int) -> tuple[list[dict[str, Any]], int]:
    """The RL rows with each expected output independently corrupted with probability
    ``fraction`` (deterministic in ``seed`` and the row id). Returns the rows and the count."""
    _check_noise(fraction)
    rows, corrupted = [], 0
    for line in Path(rl_path).read_text(encoding="utf-8").splitlines():
        row, n = corrupt_row(json.loads(line), fraction, seed)
        rows.append(row)
        corrupted += n
    return rows, corrupted


def _check_noise(fraction: float) -> None:
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"label noise must be in [0, 1), got {fraction}")


def corrupt_row(row: dict[str, Any], fraction: float, seed: int) -> tuple[dict[str, Any], int]:
    """One RL row with each expected output corrupted with probability ``fraction`` (as
    :func:`corrupt_labels`), and how many were."""
    _check_noise(fraction)
    rng = random.Random(derive_seed(seed, "label-noise", row["id"]))
    io = json.loads(row["input_output"])
    functional = bool(io.get("fn_name"))
    outputs, corrupted = [], 0
    for out in io["outputs"]:
        if rng.random() < fraction:
            out = _corrupt(out, functional, rng)
            corrupted += 1
        outputs.append(out)
    return {**row, "input_output": json.dumps({**io, "outputs": outputs}, ensure_ascii=False)}, corrupted


def split_by_phrasing(synth_dir: str | Path, rl_phrasings: int) -> tuple[list[dict], list[dict]]:
    """SFT rows of the first training phrasings of each family, RL rows of the last ``rl_phrasings``.

    GRPO on the SFT rows themselves only sharpens a policy that has memorised them; on statements it
    has never seen (as the held-out ones are) it has something to learn (docs/notes/rl_learning.md).
    The phrasing of a row comes from its procedural task record (``provenance.extra``).
    """
    from data_gen.procedural import get_families
    from data_gen.procedural.styles import phrasing_indices
    from data_gen.records import Task
    from data_gen.storage import read_records

    synth = Path(synth_dir)
    where = {
        t.id: (t.provenance.extra["family"], int(t.provenance.extra["phrasing"]))
        for t in read_records(synth, "tasks", Task)
        if "phrasing" in t.provenance.extra
    }
    rl_only: dict[str, set[int]] = {}
    for family in {f for f, _ in where.values()}:
        train = phrasing_indices(get_families([family])[0], "train")
        if rl_phrasings >= len(train):
            raise ValueError(
                f"data.rl_phrasings={rl_phrasings} leaves family {family} no SFT phrasing (it has {len(train)})"
            )
        rl_only[family] = set(train[-rl_phrasings:])

    def is_rl(row: dict) -> bool:
        family, phrasing = where[row["id"]]
        return phrasing in rl_only[family]

    export = synth / "export"
    sft = [json.loads(x) for x in (export / "sft.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    rl = [json.loads(x) for x in (export / "rl.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return [r for r in sft if not is_rl(r)], [r for r in rl if is_rl(r)]
