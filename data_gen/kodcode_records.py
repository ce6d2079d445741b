"""Records of the KodCode mode (``mode: kodcode``) and the reading of its marked answers.

The flow (record written -> record the next stage reads)::

    kodcode_questions        SeedSnippet                  -> KodQuestion
    kodcode_self_verify      KodQuestion                  -> KodTriplet (question, solution, tests, attempts)
    kodcode_rewrite          KodTriplet                   -> KodTriplet (the other style, same solution/tests)
    kodcode_reject_sampling  KodTriplet (both stages)     -> KodSamples (answers judged against the tests)
    kodcode_export           all of them                  -> KodCode-V1 rows, xcoder SFT and RL rows

Answers mark their parts as KodCode's prompts do (``<|Solution Begin|>`` ... ``<|Solution End|>``);
code fences inside a part are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from data_gen.records import Provenance, Record
from xcoder.kodcode import entry_point, other_style, pass_percentage
from xcoder.problem import Problem, problem_from_kodcode_row

_FENCE = re.compile(r"^[ \t]*```[\w+.-]*[ \t]*$", re.M)


def marked(text: str | None, name: str) -> str | None:
    """The part of ``text`` between ``<|{name} Begin|>`` and ``<|{name} End|>`` without code fences
    (the last such part), or None. A missing end marker takes the rest of the text."""
    if not text:
        return None
    begin, end = f"<|{name} Begin|>", f"<|{name} End|>"
    if begin not in text:
        return None
    part = text.rsplit(begin, 1)[1].split(end, 1)[0]
    part = _FENCE.sub("", part).strip("\n")
    return part if part.strip() else None


@dataclass
class KodQuestion(Record):
    """A generated question. ``id`` is KodCode's ``{subset}_{prompt_id}_{I|C}``."""

    KIND: ClassVar[str] = "kod_question"
    id: str
    style: str
    subset: str
    prompt_id: str
    question: str
    seed_id: str
    provenance: Provenance


@dataclass
class KodAttempt(Record):
    """One self-verification attempt: a solution and test file written together, judged."""

    index: int
    passed: bool
    verdict: str  # the judge's verdict, or why the answer could not be judged (no_solution, ...)
    solution: str = ""
    test: str = ""
    tests_passed: int = 0
    tests_total: int = 0
    message: str = ""
    seed: int | None = None


@dataclass
class KodTriplet(Record):
    """A verified (question, solution, test) triplet with its self-verification record: ``pass_sequence``
    is 1/0 per attempt, ``difficulty`` the label from it, ``chosen_attempt`` the attempt whose solution
    and tests were kept. Rewritten triplets share both with their source (``original_instruction``
    holds the source's instruct question)."""

    KIND: ClassVar[str] = "kod_triplet"
    id: str
    style: str
    subset: str
    prompt_id: str
    question: str
    solution: str
    test: str
    test_info: list[dict[str, Any]] | None
    pass_sequence: list[int]
    difficulty: str
    chosen_attempt: int
    attempts: list[KodAttempt]
    seed_id: str
    provenance: Provenance
    original_instruction: str = ""
    rewritten_from: str | None = None

    @property
    def entry_point(self) -> str | None:
        return entry_point(self.test_info)

    def to_kodcode_row(self, version: str = "xcoder-1") -> dict[str, Any]:
        """The row in KodCode-V1's columns (``trials`` keyed ``trial_<k>``: our attempts)."""
        trials = {
            f"trial_{a.index}": {
                "file_source": self.provenance.model or "",
                "solution_code": a.solution,
                "test_code": a.test,
                "test_coverage": None,
                "test_result": "Pass" if a.passed else f"Fail - {a.verdict}",
            }
            for a in self.attempts
        }
        return {
            "version": version,
            "style": self.style,
            "subset": self.subset,
            "question_id": self.id,
            "question": self.question,
            "solution": self.solution,
            "test": self.test,
            "test_info": self.test_info,
            "gpt_pass_sequence": list(self.pass_sequence),
            "gpt_pass_trial_num": sum(self.pass_sequence),
            "gpt_difficulty": self.difficulty,
            "gpt_pass_percentage": pass_percentage(self.pass_sequence),
            "trials": trials,
            "chosen_trial": f"trial_{self.chosen_attempt}",
            "metadata": {
                "original_instruction": self.original_instruction,
                "prompt_id": self.prompt_id,
                "row_id": None,
                "seed_ids": str([self.seed_id]),
            },
        }

    def to_problem(self) -> Problem:
        return problem_from_kodcode_row(self.to_kodcode_row(), where=f"triplet {self.id}")

    def rewritten(self, question: str, provenance: Provenance) -> KodTriplet:
        """This triplet with ``question`` in the other style; solution, tests and statistics kept."""
        style = other_style(self.style)
        suffix = "_C" if style == "complete" else "_I"
        return KodTriplet(
            id=self.id[:-2] + suffix,
            style=style,
            subset=self.subset,
            prompt_id=self.prompt_id,
            question=question,
            solution=self.solution,
            test=self.test,
            test_info=self.test_info,
            pass_sequence=list(self.pass_sequence),
            difficulty=self.difficulty,
            chosen_attempt=self.chosen_attempt,
            attempts=list(self.attempts),
            seed_id=self.seed_id,
            provenance=provenance,
            original_instruction=self.question if self.style == "instruct" else self.original_instruction,
            rewritten_from=self.id,
        )


@dataclass
class KodResponse(Record):
    """One sampled answer to a triplet's question and its verdict on the triplet's tests."""

    index: int
    response: str
    code: str
    passed: bool
    verdict: str
    reasoning: str | None = None
    finish_reason: str | None = None
    tests_passed: int = 0
    tests_total: int = 0


@dataclass
class KodSamples(Record):
    """The reject-sampling outcome of one triplet: every answer, and which passed."""

    KIND: ClassVar[str] = "kod_samples"
    id: str
    question_id: str
    responses: list[KodResponse]
    provenance: Provenance
    pass_sequence: list[int] = field(default_factory=list)

    @property
    def passing(self) -> list[KodResponse]:
        return [r for r in self.responses if r.passed]
