"""Scores beside the official one, from the same generations: other judging of the same samples.

A *variant* re-judges some samples differently and keeps the official verdict for the rest:

- ``checkers``: the problems that have a user checker (``--checkers DIR``) judged with it, so a
  problem with several valid answers is graded by the checker instead of the one expected output;
- ``semantics``: every sample judged under the other judge semantics (``xcoder`` vs ``lcb``, a
  ``JudgeConfig.semantics`` field), with the samples whose verdict differs counted by reason.

Each variant's verdicts are cached like the official ones (the variant's name salts the cache key),
so resuming a run re-judges nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from eval.scoring import ProblemScore, score
from xcoder.judge import JudgeConfig
from xcoder.problem import Problem

SEMANTICS = ("xcoder", "lcb")


@dataclass
class Variant:
    name: str  # key in results["variants"]
    label: str  # what reports call it
    judge: JudgeConfig
    problems: dict[str, Problem]  # the problems re-judged (others keep the official verdict)
    salt: str = ""  # makes the verdict cache key differ where the judge config alone does not


def has_semantics() -> bool:
    return any(f.name == "semantics" for f in fields(JudgeConfig))


def make_variants(
    judge: JudgeConfig, by_id: dict[str, Problem], checkers: dict[str, str], other_semantics: bool = True
) -> list[Variant]:
    variants = []
    if checkers:
        problems = {}
        for qid, path in checkers.items():
            p = by_id.get(qid)
            if p is not None and not getattr(p, "test_file", None) and not p.metadata.get("test_file"):
                problems[qid] = replace(p, checker=Path(path).read_text())
        if problems:
            salt = "checkers:" + ",".join(f"{q}={hash_text(p.checker or '')}" for q, p in sorted(problems.items()))
            variants.append(Variant("checkers", "checker-corrected", judge, problems, salt))
    if other_semantics and has_semantics():
        chosen = judge.semantics
        other = next(s for s in SEMANTICS if s != chosen)
        variants.append(
            Variant(f"semantics_{other}", f"{other} semantics", replace(judge, **{"semantics": other}), dict(by_id))
        )
    return variants


def hash_text(text: str) -> str:
    from xcoder.hashing import digest

    return digest(text)


def rescore(
    variant: Variant,
    rows: list[dict[str, Any]],
    verdicts: dict[tuple[str, int], dict[str, Any]],
    official: dict[tuple[str, int], dict[str, Any]],
    n: int,
    lcb_side: str | None = None,
    codes: dict[tuple[str, int], str] | None = None,
) -> dict[str, Any]:
    """The variant's scores and how it differs from the official grading.

    ``rows`` are the runner's per-problem rows (``verdicts`` = official outcomes per sample);
    ``verdicts`` the variant's judge rows, ``official`` the official ones. ``lcb_side`` says which of
    the two carries LCB's reason tags (``"variant"`` or ``"official"``) for the reason counts."""
    scores, reasons, differing_problems = [], Counter(), []
    changed = 0
    for row in rows:
        qid = row["question_id"]
        graded = []
        for i, outcome in enumerate(row["verdicts"]):
            ok = outcome == "accepted"
            v = verdicts.get((qid, i)) if qid in variant.problems else None
            if v is not None and v.get("verdict") != "judge_error":
                new = v["verdict"] == "accepted"
                if new != ok:
                    changed += 1
                    off = official.get((qid, i), {})
                    why = None
                    if lcb_side is not None:
                        lcb_row, xcoder_row = (v, off) if lcb_side == "variant" else (off, v)
                        why = explain_semantics(
                            (codes or {}).get((qid, i), ""),
                            xcoder_row,
                            lcb_row,
                            by_functional=variant.problems[qid].is_functional,
                        )
                    reasons[why or _default_reason(variant, new)] += 1
                    if qid not in differing_problems:
                        differing_problems.append(qid)
                ok = new
            graded.append(ok)
        scores.append(ProblemScore(qid, row.get("difficulty", ""), row.get("platform", ""), graded))
    out: dict[str, Any] = {"label": variant.label, **score(scores, n)}
    out["rejudged_problems"] = len(variant.problems)
    out["differing_samples"] = changed
    out["differing_by_reason"] = dict(reasons.most_common())
    out["differing_problems"] = differing_problems
    return out


def _as_result(row: dict[str, Any]) -> Any:
    """A judge result rebuilt from a cached verdict row (verdict, reason, first failing test)."""
    from xcoder.judge.result import JudgeResult, TestResult, Verdict

    failure = row.get("failure")
    tests = [TestResult(Verdict(failure["verdict"]), message=failure.get("message", ""))] if failure else []
    result = JudgeResult(Verdict(row.get("verdict", "judge_error")), row.get("passed", 0), row.get("total", 0), tests)
    if hasattr(result, "reason"):
        result.reason = row.get("reason", "")
    return result


def explain_semantics(
    code: str, xcoder_row: dict[str, Any], lcb_row: dict[str, Any], by_functional: bool
) -> str | None:
    """The LCB mechanism behind a verdict that differs between the semantics: the lcb result's
    reason tag, else the judge's classifier (``xcoder.judge.lcb.explain_difference``)."""
    if lcb_row.get("reason"):
        return lcb_row["reason"]
    try:
        from xcoder.judge.lcb import explain_difference  # type: ignore[attr-defined]
    except ImportError:
        return None
    return explain_difference(code, _as_result(xcoder_row), _as_result(lcb_row), by_functional)


def _default_reason(variant: Variant, now_accepted: bool) -> str:
    if variant.name == "checkers":
        return "checker accepts another valid answer" if now_accepted else "checker rejects an output the tests accept"
    return f"accepted only under {variant.label}" if now_accepted else f"rejected only under {variant.label}"
