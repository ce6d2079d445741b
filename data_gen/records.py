"""The records every data-generation stage reads and writes — one schema for LLM and procedural data.

Each stage writes JSON lines under ``output_dir/<stage>/`` (see ``data_gen/storage.py``); one line is
one record's :meth:`to_dict`. Records are plain dataclasses so that a procedural task family
(``data_gen/procedural/``) can emit exactly the same :class:`Task`, :class:`Solution` and
:class:`TaskTestInputs` records as the LLM stages, and ``verify``/``filter``/``export`` never care
where a task came from.

The flow, stage by stage (record written -> record the next stage reads)::

    features  SeedSnippet (input JSONL)    -> FeatureSet (kind="extracted")
    evolve    FeatureSet                   -> FeatureSet (kind="breadth" | "depth")
    tree      FeatureSet / X-Coder import  -> FeatureConfig   (+ tree.json, the merged hierarchy)
    tasks     FeatureConfig                -> Task
    solutions Task                         -> Solution        (one line per kept sample)
    tests     Task                         -> TaskTestInputs  (one line per task)
    verify    Task + Solution + TaskTestInputs -> VerifiedTask
    filter    VerifiedTask                 -> VerifiedTask    (difficulty, proxy pass rate filled in)
    export    VerifiedTask                 -> SFTRow / RLRow  (Parquet + JSONL + dataset card)

Conventions:

* ``id`` is deterministic (a hash of what the record derives from), so a resumed run recreates the
  same ids and duplicates are detectable. Use :func:`xcoder.hashing.make_id`.
* every record carries :class:`Provenance`: which stage/source made it, from which parent ids, with
  which model, prompt file (and its hash), LLM cache key and random seed.
* **test encoding** is LiveCodeBench's (as in :class:`xcoder.problem.TestCase`): for stdin tasks
  ``input``/``output`` are the exact stdin/stdout text; for functional (LeetCode-style, ``fn_name``
  set) tasks ``input`` holds one JSON value per line, one line per argument, and ``output`` one
  JSON value.
* ``from_dict`` ignores no field silently: unknown keys raise :class:`RecordError` naming them, so a
  schema drift between writer and reader is caught at the first line.

A procedural family emits, per task: one :class:`Task` (``provenance.source="procedural:<family>"``),
one or more :class:`Solution` records (its reference solutions; ``response`` may simply be the code
in a fenced block) and one :class:`TaskTestInputs`; write them with
``data_gen.storage.write_records(output_dir, stage, records)`` into the ``tasks``, ``solutions`` and
``tests`` stage directories and run ``verify`` onwards as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from xcoder.config import ConfigError, build
from xcoder.problem import Problem, TestCase

STYLES = ("codeforces", "leetcode", "atcoder")
"""Task styles: Codeforces and AtCoder tasks read stdin; LeetCode tasks are functional."""

TEST_KINDS = ("sample", "llm", "generator", "procedural")
"""Where a test input came from: the statement's samples, the LLM directly, an LLM-written
generator program run in the judge's sandbox, or a procedural family."""

SCALES = ("sample", "small", "edge", "boundary", "medium", "large", "stress")
"""How large/pointed a test is; ``verify`` weighs boundary/stress tests more (configurable)."""

SPLITS = ("suite", "holdout")


class RecordError(ValueError):
    """A record that does not match the schema; the message names the record type and field."""


T = TypeVar("T", bound="Record")


@dataclass
class Provenance:
    """Where a record came from. ``source`` is ``llm``, ``seed``, ``import:<file>``,
    ``procedural:<family>`` or ``derived`` (computed from parents without a model)."""

    stage: str
    source: str = "llm"
    parents: list[str] = field(default_factory=list)
    model: str | None = None
    prompt: str | None = None  # prompt file name, e.g. "features.md"
    prompt_sha: str | None = None  # short hash of the template text actually used
    request_keys: list[str] = field(default_factory=list)  # LLM response-cache keys
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        return _from_dict(cls, data)


@dataclass
class Record:
    """Base: ``to_dict``/``from_dict`` with strict field checking; nested records follow the type hints."""

    KIND: ClassVar[str] = "record"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        return _from_dict(cls, data)


def _from_dict(cls: type[Any], data: Mapping[str, Any]) -> Any:
    """``cls`` built from a JSON object by :func:`xcoder.config.build` (nested records included);
    unknown and missing fields of the record itself are named as such."""
    where = cls.__name__
    if not isinstance(data, Mapping):
        raise RecordError(f"{where}: expected a JSON object, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls) if f.init}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise RecordError(f"{where}: unknown field(s) {unknown}; known: {sorted(known)}")
    missing = [n for n, f in known.items() if n not in data and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise RecordError(f"{where}: missing required field(s) {missing}")
    try:
        return build(cls, data, where)
    except ConfigError as err:
        raise RecordError(str(err)) from None


# ------------------------------------------------------------------------------------------------
# Features


@dataclass
class SeedSnippet(Record):
    """One seed code snippet (input of ``features``); read from any JSONL with a code field."""

    KIND: ClassVar[str] = "seed"
    id: str
    code: str
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


FeatureTree = dict[str, Any]
"""X-Coder's nested feature format: a dict whose values are either a list of feature names (leaves)
or another such dict, e.g. ``{"algorithms": {"graph": ["bfs", "dijkstra"]}, "data structures":
["segment tree"]}``."""


@dataclass
class FeatureSet(Record):
    """Features of one seed snippet (``kind="extracted"``) or one evolution step (``breadth``: new
    related features; ``depth``: specialisations of existing ones, nested one level deeper)."""

    KIND: ClassVar[str] = "feature_set"
    id: str
    features: FeatureTree
    provenance: Provenance
    kind: str = "extracted"
    round: int = 0
    seed_id: str | None = None


@dataclass
class FeatureConfig(Record):
    """A sampled sub-tree of features, the seed of one or more tasks. Field names follow X-Coder's
    released ``feature_config_sampled.jsonl`` (``features``, ``mandatory_features``, ``idx``,
    ``leaf_count``), so those files load directly (see ``tree.import_path``)."""

    KIND: ClassVar[str] = "feature_config"
    id: str
    idx: int
    features: FeatureTree
    leaf_count: int
    provenance: Provenance
    mandatory_features: list[str] = field(default_factory=list)
    shape: list[int] | None = None


# ------------------------------------------------------------------------------------------------
# Tasks, solutions, tests


@dataclass
class Example(Record):
    """A sample test shown in the statement (LCB test encoding, see the module docstring)."""

    input: str
    output: str
    explanation: str = ""


@dataclass
class Task(Record):
    """A generated problem. ``question`` is the full statement as the solver sees it (legend,
    input/output format, constraints, examples). LeetCode-style tasks set ``fn_name`` and
    ``starter_code`` (``class Solution`` with the method) and are judged functionally."""

    KIND: ClassVar[str] = "task"
    id: str
    style: str
    title: str
    question: str
    examples: list[Example]
    provenance: Provenance
    fn_name: str | None = None
    starter_code: str = ""
    features: FeatureTree = field(default_factory=dict)
    integration_strategy: str = ""
    scenario: str = ""
    config_id: str | None = None

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise RecordError(f"Task {self.id}: style must be one of {STYLES}, got {self.style!r}")
        if self.style == "leetcode" and not self.fn_name:
            raise RecordError(f"Task {self.id}: leetcode-style tasks need fn_name")

    @property
    def is_functional(self) -> bool:
        return self.fn_name is not None

    def to_problem(self, tests: list[TestCase] | None = None, **metadata: Any) -> Problem:
        """The :class:`~xcoder.problem.Problem` the judge and the LCB prompt builder take; without
        ``tests`` the statement's examples are the tests."""
        if tests is None:
            tests = [TestCase(e.input, e.output) for e in self.examples]
        return Problem(
            question_id=self.id,
            tests=list(tests),
            fn_name=self.fn_name,
            starter_code=self.starter_code,
            question_content=self.question,
            question_title=self.title,
            platform=self.style,
            metadata=dict(metadata),
        )


@dataclass
class Solution(Record):
    """One candidate solution of a task. ``response`` is the model's full answer text (what SFT
    trains on), ``reasoning`` the separate reasoning channel when the server returns one, ``code``
    the single Python block extracted from ``response``."""

    KIND: ClassVar[str] = "solution"
    id: str
    task_id: str
    index: int
    response: str
    code: str
    provenance: Provenance
    reasoning: str | None = None
    finish_reason: str | None = None


@dataclass
class TestInput(Record):
    """One test input, not yet with an expected output (``verify`` votes that)."""

    __test__ = False  # not a pytest test class
    id: str
    input: str
    kind: str = "llm"
    scale: str = "small"
    seed: int | None = None
    generator: str | None = None  # short hash of the generator program that printed it

    def __post_init__(self) -> None:
        if self.kind not in TEST_KINDS:
            raise RecordError(f"TestInput {self.id}: kind must be one of {TEST_KINDS}, got {self.kind!r}")
        if self.scale not in SCALES:
            raise RecordError(f"TestInput {self.id}: scale must be one of {SCALES}, got {self.scale!r}")


@dataclass
class GeneratorProgram(Record):
    """An LLM-written input generator (or validator) and what became of it in the sandbox."""

    code: str
    role: str = "generator"  # generator | validator
    sha: str = ""
    runs: int = 0
    failures: int = 0
    error: str = ""


@dataclass
class TaskTestInputs(Record):
    """All test inputs of one task (one line per task)."""

    __test__ = False
    KIND: ClassVar[str] = "test_inputs"
    id: str
    task_id: str
    inputs: list[TestInput]
    provenance: Provenance
    programs: list[GeneratorProgram] = field(default_factory=list)


@dataclass
class VotedTest(Record):
    """A test whose expected output was majority-voted over the candidates' successful runs."""

    __test__ = False
    input: str
    output: str
    kind: str
    scale: str
    weight: float
    vote_share: float  # winning votes / successful runs on this input
    votes: int  # runs that produced the winning output
    runs: int  # successful runs on this input
    split: str = "suite"  # suite | holdout

    def to_test_case(self) -> TestCase:
        return TestCase(self.input, self.output)


@dataclass
class VerifiedTask(Record):
    """A task that survived dual verification: its voted tests and golden solution, embedded so
    ``filter`` and ``export`` need nothing else. ``filter`` fills ``difficulty`` and may fill
    ``proxy_pass_rate``."""

    KIND: ClassVar[str] = "verified_task"
    id: str
    task: Task
    golden: Solution
    tests: list[VotedTest]
    provenance: Provenance
    golden_score: float = 0.0  # weighted score of the golden solution on the suite
    candidate_scores: dict[str, float] = field(default_factory=dict)  # solution id -> suite score
    pass_rate: float = 0.0  # fraction of candidates passing every voted test
    sample_agreement: float | None = None  # fraction of statement examples the vote agrees with
    difficulty: str = ""
    proxy_pass_rate: float | None = None

    def to_problem(self) -> Problem:
        """The task with all voted tests (suite then hold-out), as the judge takes it."""
        return self.task.to_problem([t.to_test_case() for t in self.tests])


# ------------------------------------------------------------------------------------------------
# Export rows


@dataclass
class SFTRow(Record):
    """One SFT example: ``messages`` = the LiveCodeBench prompt (``xcoder.prompts.build_messages``)
    followed by the golden solution's full response as the assistant turn."""

    id: str
    messages: list[dict[str, str]]
    style: str
    difficulty: str
    source: str


@dataclass
class RLRow(Record):
    """One RL example in the APPS/TACO/X-Coder layout that ``xcoder.problem.problem_from_row``
    reads: ``prompt`` (chat messages), ``input_output`` (JSON text of inputs/outputs/fn_name) and
    metadata. ``question_content``/``starter_code`` repeat the task so the row is self-contained."""

    id: str
    prompt: list[dict[str, str]]
    input_output: str
    question_content: str
    starter_code: str
    style: str
    difficulty: str
    features: str  # JSON text of the feature tree (a nested dict does not fit one Arrow type)
    pass_rate: float
    golden_score: float
    vote_share_min: float
    vote_share_mean: float
    num_tests: int
    source: str


RECORD_TYPES: dict[str, type[Record]] = {
    cls.KIND: cls for cls in (SeedSnippet, FeatureSet, FeatureConfig, Task, Solution, TaskTestInputs, VerifiedTask)
}
