"""``xcoder tiny-model``: build the tiny local model (see :mod:`xcoder.tiny_model`). The size options
are :class:`~xcoder.tiny_model.TinyModelSpec`'s fields (:mod:`xcoder.cli_options`)."""

from __future__ import annotations

from pathlib import Path

import typer

from xcoder.cli_errors import fail
from xcoder.cli_options import config_options
from xcoder.tiny_model import TinyModelSpec


def register(app: typer.Typer) -> None:
    @app.command("tiny-model")
    @config_options(TinyModelSpec, param="spec", names={"corpus_files": "--corpus"})
    def tiny_model(
        spec: TinyModelSpec,
        out: Path = typer.Option(..., "--out", help="Directory to write the Hugging Face model into."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Rebuild even if OUT already holds a model."),
    ) -> None:
        """Build a small Qwen2-architecture model and BPE tokenizer locally (no downloads)."""
        import json

        from rich.console import Console
        from rich.table import Table

        from xcoder.tiny_model import MARKER_FILE, build_tiny_model

        console = Console()
        try:
            with console.status(f"building the tiny model in {out}"):
                path = build_tiny_model(out, spec, overwrite=overwrite)
        except (ValueError, FileExistsError) as exc:
            raise fail(str(exc)) from None
        table = Table(title=f"tiny model: {path}")
        table.add_column("field")
        table.add_column("value", justify="right")
        marker = path / MARKER_FILE
        if marker.is_file():
            info = json.loads(marker.read_text(encoding="utf-8"))
            table.add_row("parameters", f"{info['parameters']:,}")
            table.add_row("vocabulary", str(info["vocab"]))
            for key, value in info["spec"].items():
                if key not in ("vocab_size", "corpus_files") or value:
                    table.add_row(key, str(value))
        else:
            table.add_row("note", "existing model directory (not built by xcoder); reused as is")
        console.print(table)
