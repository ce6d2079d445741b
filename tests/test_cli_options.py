"""xcoder.cli_options on a toy config: flag spelling, types, YAML + explicit-flag precedence, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import pytest
import typer
import yaml
from typer.testing import CliRunner

from xcoder.cli_options import config_options, derive_flags
from xcoder.config import help_field


@dataclass
class Limits:
    timeout: float = help_field("Seconds per test.", default=6.0)
    strict: bool = help_field("Fail on warnings.", default=True)


@dataclass
class Toy:
    source: str = help_field("Where the data comes from.")
    n_samples: int = help_field("Samples per item.", default=8)
    top_k: int | None = help_field("Top-k (none by default).", default=None)
    fast: bool = help_field("Go fast.", default=False)
    mode: Literal["last", "first"] = help_field("Which block.", default="last")
    tags: tuple[str, ...] = help_field("Tags (repeat the flag).", default=())
    extra: dict[str, Any] = help_field("Extra JSON.", default_factory=dict)
    limits: Limits = help_field("Resource limits.", default_factory=Limits)

    def __post_init__(self) -> None:
        if self.n_samples < 1:
            raise ValueError(f"n_samples must be >= 1, got {self.n_samples}")


def make_app(**options: Any) -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.command()
    @config_options(Toy, config_file=True, **options)
    def main(config: Toy, verbose: bool = typer.Option(False, "--verbose", help="Say more.")) -> None:
        print(json.dumps({"config": config.__dict__ | {"limits": config.limits.__dict__}, "verbose": verbose}))

    return app


def invoke(args: list[str], **options: Any) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(make_app(**options), args)
    out = result.stdout.strip()
    return result.exit_code, json.loads(out) if result.exit_code == 0 else None, result.stderr


def test_flag_spelling_and_renames():
    spelled = {f.key: f.decls for f in derive_flags(Toy, names={"tags": "--tag"}, prefixes={"limits": "lim-"})}
    assert spelled["n_samples"] == ("--n-samples",)
    assert spelled["fast"] == ("--fast/--no-fast",)
    assert spelled["tags"] == ("--tag",)
    assert spelled["limits.timeout"] == ("--lim-timeout",)
    assert spelled["limits.strict"] == ("--lim-strict/--no-lim-strict",)
    assert {f.key for f in derive_flags(Toy, skip=("limits", "extra"))} == {
        "source",
        "n_samples",
        "top_k",
        "fast",
        "mode",
        "tags",
    }
    with pytest.raises(ValueError, match="--source would set both"):
        derive_flags(Toy, names={"mode": "--source"})


def test_flags_build_the_config():
    code, out, err = invoke(
        [
            "--source",
            "s.jsonl",
            "--n-samples",
            "3",
            "--top-k",
            "20",
            "--fast",
            "--mode",
            "first",
            "--tags",
            "a",
            "--tags",
            "b",
            "--extra",
            '{"think": true}',
            "--limits-timeout",
            "2",
            "--no-limits-strict",
            "--verbose",
        ]
    )
    assert code == 0, err
    assert out == {
        "verbose": True,
        "config": {
            "source": "s.jsonl",
            "n_samples": 3,
            "top_k": 20,
            "fast": True,
            "mode": "first",
            "tags": ["a", "b"],
            "extra": {"think": True},
            "limits": {"timeout": 2.0, "strict": False},
        },
    }
    code, out, _ = invoke(["--source", "s"])
    assert out["config"]["n_samples"] == 8 and out["config"]["top_k"] is None and out["config"]["limits"]["strict"]


def test_help_comes_from_the_fields():
    result = CliRunner().invoke(make_app(), ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("--n-samples", "Samples per item.", "--no-fast", "--limits-timeout", "Seconds per test.", "--config"):
        assert text in result.stdout


def test_yaml_config_with_explicit_flags_on_top(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "source": "from-yaml",
                "n_samples": 3,
                "fast": True,
                "tags": ["y"],
                "limits": {"timeout": 1.5, "strict": False},
            }
        )
    )
    code, out, err = invoke(["--config", str(path)])
    assert code == 0, err
    assert out["config"] | {"limits": None} == {
        "source": "from-yaml",
        "n_samples": 3,
        "top_k": None,
        "fast": True,
        "mode": "last",
        "tags": ["y"],
        "extra": {},
        "limits": None,
    }
    assert out["config"]["limits"] == {"timeout": 1.5, "strict": False}
    # Only flags the user typed override the file, even when they repeat a default (--n-samples 8).
    code, out, err = invoke(["-c", str(path), "--n-samples", "8", "--no-fast", "--limits-timeout", "9"])
    assert code == 0, err
    assert (out["config"]["n_samples"], out["config"]["fast"], out["config"]["source"]) == (8, False, "from-yaml")
    assert out["config"]["limits"] == {"timeout": 9.0, "strict": False}


def one_line_error(code: int, err: str) -> str:
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_errors_name_the_key_or_flag(tmp_path):
    code, _, err = invoke([])
    assert "--source is required (or source in the --config file)" in one_line_error(code, err)
    code, _, err = invoke(["--source", "s", "--n-samples", "0"])
    assert "n_samples must be >= 1, got 0" in one_line_error(code, err)
    code, _, err = invoke(["--source", "s", "--extra", "[1, 2]"])
    assert "--extra must be a JSON object" in one_line_error(code, err)
    code, _, err = invoke(["--source", "s", "--extra", "{nope"])
    assert "--extra is not valid JSON" in one_line_error(code, err)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"source": "s", "limits": {"timeout": "soon"}}))
    code, _, err = invoke(["--config", str(bad)])
    assert f"{bad}: limits.timeout: expected a number, got 'soon'" in one_line_error(code, err)
    bad.write_text(yaml.safe_dump({"source": "s", "colour": 1}))
    code, _, err = invoke(["--config", str(bad)])
    assert "unknown key(s) ['colour']" in one_line_error(code, err)
    code, _, err = invoke(["--config", str(tmp_path / "missing.yaml")])
    assert "missing.yaml does not exist" in one_line_error(code, err)
