"""Benchmark decontamination: n-gram overlap of statements against evaluation problems.

Texts are reduced to words of two or more letters, lower-cased (numbers, one-letter variable
names, punctuation, LaTeX and whitespace are ignored), so reworded sentences, changed whitespace and
renamed variables in examples leave most n-grams of a copied statement intact. A benchmark problem
matches a text when at least ``threshold`` of the n-grams of the shorter of the two occur in the
other; n-grams common to many benchmark problems ("the first line contains ...") are ignored, so
unrelated problems of the same domain do not match on boilerplate.

Benchmark files: LiveCodeBench JSONL (``question_id``, ``question_content``), HumanEval JSONL or
JSONL.gz (``task_id``, ``prompt``) and MBPP JSONL (``task_id``, ``text``); the format is told by
the fields of each row.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_WORD = re.compile(r"[a-z][a-z]+")
TEXT_FIELDS = ("question", "question_content", "prompt", "messages")
ID_FIELDS = ("id", "question_id", "task_id")


def words(text: str) -> list[str]:
    return _WORD.findall(re.sub(r"[_\d]+", " ", text.lower()))


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    if len(tokens) < n:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass
class BenchmarkDoc:
    source: str  # file name
    id: str
    n: int  # n-gram size used for this problem (shorter texts use shorter n-grams)
    grams: set[tuple[str, ...]]


@dataclass
class Match:
    source: str
    benchmark_id: str
    overlap: float
    shared: int


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def benchmark_texts(path: str | Path) -> Iterator[tuple[str, str]]:
    """``(id, text)`` of every problem in a LiveCodeBench, HumanEval or MBPP JSONL(.gz) file."""
    path = Path(path)
    with _open(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ValueError(f"{path}:{number}: not a JSON line") from None
            if "question_content" in row:  # LiveCodeBench
                yield (
                    str(row.get("question_id", number)),
                    f"{row.get('question_title', '')}\n{row['question_content']}",
                )
            elif "prompt" in row and "entry_point" in row:  # HumanEval
                yield str(row.get("task_id", number)), row["prompt"]
            elif "text" in row:  # MBPP
                yield str(row.get("task_id", number)), row["text"]
            else:
                raise ValueError(
                    f"{path}:{number}: neither LiveCodeBench (question_content), HumanEval "
                    f"(prompt, entry_point) nor MBPP (text) fields"
                )


class BenchmarkIndex:
    """Inverted n-gram index of benchmark problems."""

    def __init__(self, n: int = 8, threshold: float = 0.3, max_doc_share: float = 0.05, min_doc_count: int = 3):
        self.n, self.threshold = n, threshold
        self.max_doc_share, self.min_doc_count = max_doc_share, min_doc_count
        self.docs: list[BenchmarkDoc] = []
        self.index: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._common: set[tuple[str, ...]] | None = None

    def add(self, source: str, doc_id: str, text: str) -> None:
        tokens = words(text)
        n = max(3, min(self.n, len(tokens) // 2))  # a one-line MBPP task still gets several n-grams
        doc = BenchmarkDoc(source, doc_id, n, ngrams(tokens, n))
        for gram in doc.grams:
            self.index[gram].append(len(self.docs))
        self.docs.append(doc)
        self._common = None

    def add_file(self, path: str | Path) -> int:
        count = 0
        for doc_id, text in benchmark_texts(path):
            self.add(Path(path).name, doc_id, text)
            count += 1
        return count

    @property
    def common(self) -> set[tuple[str, ...]]:
        """Boilerplate: n-grams in more than ``max_doc_share`` of the problems (and at least
        ``min_doc_count`` of them)."""
        if self._common is None:
            limit = max(self.min_doc_count, int(self.max_doc_share * len(self.docs)))
            self._common = {g for g, ids in self.index.items() if len(ids) > limit}
        return self._common

    def match(self, text: str) -> Match | None:
        """The best-overlapping benchmark problem at or above the threshold, or None."""
        tokens = words(text)
        common = self.common
        mine: dict[int, set[tuple[str, ...]]] = {}
        shared: dict[int, int] = defaultdict(int)
        for n in sorted({d.n for d in self.docs}):
            grams = ngrams(tokens, n) - common
            mine[n] = grams
            for gram in grams:
                for i in self.index.get(gram, ()):
                    if self.docs[i].n == n:
                        shared[i] += 1
        best: Match | None = None
        for i, k in shared.items():
            doc = self.docs[i]
            size = min(len(doc.grams - common), len(mine[doc.n]))
            overlap = k / size if size else 0.0
            if overlap >= self.threshold and (best is None or overlap > best.overlap):
                best = Match(doc.source, doc.id, round(overlap, 4), k)
        return best


def load_index(paths: Iterable[str | Path], n: int = 8, threshold: float = 0.3) -> BenchmarkIndex:
    index = BenchmarkIndex(n, threshold)
    for path in paths:
        if not Path(path).is_file():
            raise FileNotFoundError(f"benchmark file {path} does not exist")
        index.add_file(path)
    return index


def row_text(row: dict[str, Any], field: str | None = None) -> str | None:
    """The statement of a data row: ``field`` if given, else the first of ``question``,
    ``question_content``, ``prompt`` (text or chat messages) and ``messages`` (user turns)."""
    for name in [field] if field else TEXT_FIELDS:
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list) and value and all(isinstance(m, dict) for m in value):
            users = [m.get("content") for m in value if m.get("role") == "user"]
            text = "\n".join(c for c in users if isinstance(c, str))
            if text.strip():
                return text
    return None


def row_id(row: dict[str, Any]) -> str | None:
    for name in ID_FIELDS:
        if row.get(name) not in (None, ""):
            return str(row[name])
    return None
