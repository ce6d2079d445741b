"""Stage ``model``: the tiny Qwen2 model (``xcoder.tiny_model``), its tokenizer trained on the
shipped corpus plus the training statements and programs (never on the held-out split)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from rich.console import Console

from pipeline.config import PipelineConfig


def stage_model(cfg: PipelineConfig, console: Console) -> dict[str, Any]:
    from xcoder.tiny_model import MARKER_FILE, build_tiny_model

    corpus = str(cfg.out / "data" / "tokenizer_corpus.txt")
    spec = replace(cfg.model, corpus_files=[*cfg.model.corpus_files, corpus])
    with console.status("building the tiny model"):
        path = build_tiny_model(cfg.out / "model", spec, overwrite=True)
    info = json.loads((path / MARKER_FILE).read_text(encoding="utf-8"))
    return {"parameters": info["parameters"], "vocab": info["vocab"]}
