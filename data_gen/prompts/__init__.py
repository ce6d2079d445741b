"""Prompt files of the SynthSmith stages, beside the code so they are easy to read and change.

A prompt is a Markdown file with ``{{name}}`` placeholders (double braces, so the JSON examples in
the prompts need no escaping). ``prompts_dir`` in the run config overrides files by name. Every
record keeps the prompt's file name and a hash of its text in its provenance, so a changed prompt
is visible in the data (and, through the LLM cache key, never reuses an old answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from xcoder.hashing import digest

PROMPTS_DIR = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


class PromptError(ValueError):
    """A missing prompt file or a placeholder without a value (or a value without a placeholder)."""


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    text: str
    path: str

    @property
    def sha(self) -> str:
        return digest(self.text, 12)

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.text))

    def render(self, **values: object) -> str:
        """Fill every placeholder; both missing and unused values are errors (a typo in a prompt
        file must not silently send a prompt with a hole in it)."""
        wanted = self.placeholders
        missing = sorted(wanted - set(values))
        extra = sorted(set(values) - wanted)
        if missing or extra:
            raise PromptError(f"prompt {self.path}: missing value(s) {missing}, unused value(s) {extra}")
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.text)


def load_prompt(name: str, override_dir: str | Path | None = None) -> PromptTemplate:
    """Load ``<name>.md`` from ``override_dir`` if it has one, else from this package."""
    for directory in ([Path(override_dir)] if override_dir else []) + [PROMPTS_DIR]:
        path = directory / f"{name}.md"
        if path.is_file():
            return PromptTemplate(name=f"{name}.md", text=path.read_text(encoding="utf-8"), path=str(path))
    raise PromptError(f"no prompt file {name}.md in {override_dir or ''} {PROMPTS_DIR}".replace("  ", " "))
