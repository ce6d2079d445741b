"""LiveCodeBench's errata list: problems LCB itself says cannot be graded correctly as shipped.

The list ships as ``eval/lcb_errata.json`` (every entry of LCB's ``ERRATA.md`` with its category and
note, plus where and when the copy was taken). To update it, download the current ``ERRATA.md`` and
run ``python -m eval.errata ERRATA.md --commit SHA --date YYYY-MM-DD``: the markdown is parsed
section by section (a heading per category, a numbered ``id - note`` line per problem) and the JSON
is rewritten. A heading we do not know stops the update rather than guessing a category.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

ERRATA_FILE = Path(__file__).parent / "lcb_errata.json"
UPSTREAM = "https://github.com/LiveCodeBench/LiveCodeBench/blob/main/ERRATA.md"

# Section heading of ERRATA.md (lower case) -> our category, and the category's label in reports.
SECTIONS = {
    "multiple solutions accepted": "multiple_solutions",
    "interactive problems": "interactive",
    "erroneous test cases": "erroneous_tests",
}
CATEGORY_LABELS = {
    "multiple_solutions": "several valid answers",
    "interactive": "interactive",
    "erroneous_tests": "wrong tests",
}
# What each category means for a score (the note of an entry says what LCB wrote about it).
CATEGORY_REASONS = {
    "multiple_solutions": "the problem accepts several valid outputs; the tests expect one, so correct programs "
    "can fail",
    "interactive": "interactive problem; cannot be solved under stdin/stdout grading",
    "erroneous_tests": "some test data is wrong; a correct program cannot pass",
}

_HEADING = re.compile(r"^#{2,}\s*(.+?)\s*$")
_ITEM = re.compile(r"^\s*\d+[.)]\s+(\S+)\s*(?:[-–:]\s*(.*?))?\s*$")


class ErrataFormatError(ValueError):
    """ERRATA.md does not look the way this parser expects; the message says where."""


def parse_errata_markdown(text: str) -> list[dict[str, str]]:
    """Entries of an ``ERRATA.md`` text in file order: question_id, category, section, note."""
    entries: list[dict[str, str]] = []
    seen: set[str] = set()
    section: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        heading = _HEADING.match(line)
        if heading:
            section = heading.group(1)
            if section.lower() not in SECTIONS:
                raise ErrataFormatError(
                    f"line {lineno}: unknown errata section {section!r}; known: {', '.join(SECTIONS)} "
                    "(add it to eval.errata.SECTIONS with a category)"
                )
            continue
        item = _ITEM.match(line)
        if not item:
            continue
        if section is None:
            raise ErrataFormatError(f"line {lineno}: a numbered entry before any section heading")
        qid, note = item.group(1), (item.group(2) or "").strip()
        if qid in seen:
            raise ErrataFormatError(f"line {lineno}: {qid} is listed twice")
        seen.add(qid)
        entries.append({"question_id": qid, "category": SECTIONS[section.lower()], "section": section, "note": note})
    if not entries:
        raise ErrataFormatError("no numbered entries found")
    return entries


def errata_document(
    entries: list[dict[str, str]], commit: str | None, date: str | None, url: str = UPSTREAM
) -> dict[str, Any]:
    """The JSON we ship: the entries with a ``reason`` per category, and the provenance."""
    return {
        "source": {"url": url, "commit": commit, "date": date, "entries": len(entries)},
        "note": "Problems LiveCodeBench itself lists as not gradable as shipped. Flagged in eval results, scored "
        "with and without them; excluded with --exclude-errata.",
        "problems": [{**e, "reason": CATEGORY_REASONS[e["category"]]} for e in entries],
    }


@lru_cache(maxsize=1)
def load_errata_document(path: str | None = None) -> dict[str, Any]:
    return json.loads(Path(path or ERRATA_FILE).read_text())


def load_errata() -> dict[str, dict[str, str]]:
    """question_id -> entry (``category``, ``section``, ``note``, ``reason``)."""
    return {entry["question_id"]: entry for entry in load_errata_document()["problems"]}


def errata_version() -> str:
    """One line naming the shipped copy, e.g. ``17 entries, LiveCodeBench ERRATA.md @ 716024c (…)``."""
    src = load_errata_document()["source"]
    parts = [f"{src.get('entries')} entries"]
    if src.get("commit"):
        parts.append(f"commit {str(src['commit'])[:12]}")
    if src.get("date"):
        parts.append(f"taken {src['date']}")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.errata", description="Rewrite eval/lcb_errata.json from a copy of LCB's ERRATA.md."
    )
    parser.add_argument("errata_md", help="path to ERRATA.md")
    parser.add_argument("--commit", help="LiveCodeBench commit the file was taken from")
    parser.add_argument("--date", help="date the file was taken (YYYY-MM-DD)")
    parser.add_argument("--url", default=UPSTREAM, help="where the file was taken from (default: upstream main)")
    parser.add_argument("--output", default=str(ERRATA_FILE), help="JSON to write (default: the shipped one)")
    args = parser.parse_args(argv)
    try:
        entries = parse_errata_markdown(Path(args.errata_md).read_text())
    except (OSError, ErrataFormatError) as exc:
        print(f"error: {args.errata_md}: {exc}", file=sys.stderr)
        return 2
    doc = errata_document(entries, args.commit, args.date, args.url)
    Path(args.output).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    counts = {c: sum(e["category"] == c for e in entries) for c in CATEGORY_LABELS}
    print(f"wrote {args.output}: {len(entries)} entries ({', '.join(f'{v} {k}' for k, v in counts.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
