"""The floors in pyproject hold: every key the recipes use is accepted by the floor releases
(recorded fields + the table of newer keys), and the recipes stop at launch, with one line, when an
installed release is older than its floor."""

from __future__ import annotations

import runpy
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from xcoder.train import versions
from xcoder.train.versions import FLOORS, INTRODUCED, floor_fields, keys_not_at_floor, version_problems

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"


def _our_fields(kind: str) -> set[str]:
    pytest.importorskip("trl")
    import dataclasses

    from trl import ScriptArguments

    module = __import__(f"xcoder.train.{kind}", fromlist=["x"])
    cls = module.SFTScriptArguments if kind == "sft" else module.GRPOScriptArguments
    return {f.name for f in dataclasses.fields(cls)} - {f.name for f in dataclasses.fields(ScriptArguments)}


def recipe_keys() -> list[tuple[str, str, set[str]]]:
    """(where, kind, keys) for every recipe config: sft*/grpo* YAMLs, and the overrides the pipeline
    and ablation YAMLs pass to the recipes."""
    out = []
    for path in sorted(RECIPES.rglob("*.yaml")):
        if "accelerate" in path.parts:
            continue
        rel = str(path.relative_to(ROOT))
        data = yaml.safe_load(path.read_text())
        kind = next((k for k in ("sft", "grpo") if path.stem == k or path.stem.startswith(k + "_")), None)
        if kind:
            out.append((rel, kind, set(data) - {"env"}))
            for i, entry in enumerate(data.get("datasets") or []):
                out.append((f"{rel} datasets[{i}]", "datasets", set(entry)))
        for section in ("sft", "grpo"):
            if isinstance(data.get(section), dict) and "args" in data[section]:
                out.append((f"{rel} {section}.args", section, set(data[section]["args"])))
        for name, exp in (data.get("experiments") or {}).items():
            for part in [exp.get("shared") or {}, *(exp.get("variants") or {}).values()]:
                for section in ("sft", "grpo"):
                    args = (part.get(section) or {}).get("args")
                    if args:
                        out.append((f"{rel} {name} {section}.args", section, set(args)))
    return out


def accelerate_keys() -> list[tuple[str, set[str]]]:
    out = []
    for path in sorted((RECIPES / "accelerate").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        keys = set(data.get("deepspeed_config") or {})
        keys |= {k if k.startswith("fsdp_") else f"fsdp_{k}" for k in data.get("fsdp_config") or {}}
        out.append((str(path.relative_to(ROOT)), keys))
    return out


def test_pyproject_floors_are_the_checked_floors():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {}
    for req in project["optional-dependencies"]["train"]:
        name, _, version = req.partition(">=")
        declared[name.strip()] = version.strip()
    for package, floor in FLOORS.items():
        assert declared.get(package) == floor, f"pyproject train extra: {package}>={floor} expected"


def test_recorded_fields_are_from_the_floor_releases():
    recorded = floor_fields()
    for name in recorded:
        package, version = name.split("==")
        assert FLOORS[package] == version, f"floor_fields.json holds {name}; record {package}=={FLOORS[package]}"
    assert {n.split("==")[0] for n in recorded} == {"transformers", "trl", "accelerate"}


def test_the_table_is_consistent_with_the_floors():
    recorded = {n.split("==")[0]: owners for n, owners in floor_fields().items()}
    for intro in INTRODUCED:
        assert versions._version(intro.version) <= versions._version(FLOORS[intro.package]), intro
        if intro.package in recorded and intro.owner in recorded[intro.package]:
            assert intro.key in recorded[intro.package][intro.owner], f"{intro.key} missing at the floor: {intro}"


@pytest.mark.parametrize("where, kind, keys", recipe_keys(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_recipe_key_is_accepted_at_the_floor(where, kind, keys):
    ours = _our_fields(kind) if kind in ("sft", "grpo") else set()
    assert keys_not_at_floor(keys, kind, ours) == {}, where


@pytest.mark.parametrize("where, keys", accelerate_keys(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_accelerate_key_is_accepted_at_the_floor(where, keys):
    assert keys_not_at_floor(keys, "accelerate") == {}, where


def test_the_check_catches_a_key_above_the_floor_and_an_unrecorded_key():
    lower = {**FLOORS, "transformers": "5.22.2"}
    problems = keys_not_at_floor(
        {"activation_checkpointing", "learning_rate"},
        "sft",
        floors=lower,
        recorded={"transformers==5.22.2": {"TrainingArguments": ["learning_rate"]}},
    )
    assert list(problems) == ["activation_checkpointing"]
    assert "new in transformers 5.23.0" in problems["activation_checkpointing"]
    problems = keys_not_at_floor({"a_key_from_the_future", "packing"}, "sft")
    assert list(problems) == ["a_key_from_the_future"] and "INTRODUCED" in problems["a_key_from_the_future"]
    assert keys_not_at_floor({"fraction"}, "datasets", floors={**FLOORS, "trl": "1.7.0"})  # mixture weights: 1.8


def test_version_problems_name_installed_and_needed():
    problems = version_problems({"transformers": "999.0", "no-such-package-xcoder": "1.0"})
    have = versions.installed("transformers")
    assert problems[0] == (
        f"transformers {have} is installed; the training recipes need transformers>=999.0 "
        "(pip install -U 'transformers>=999.0')"
    )
    assert "no-such-package-xcoder is not installed" in problems[1]
    assert version_problems({"peft": "0.0.1"}) == []


@pytest.mark.parametrize("recipe, config", [("sft", "tiny/sft.yaml"), ("grpo", "tiny/grpo.yaml")])
def test_recipes_stop_before_parsing_on_an_old_release(recipe, config, monkeypatch, capsys):
    pytest.importorskip("trl")
    monkeypatch.setitem(FLOORS, "transformers", "999.0")
    # a key no transformers accepts: parsing would fail on it, so exit 2 shows the check ran first
    monkeypatch.setattr(sys, "argv", [f"{recipe}.py", "--config", str(RECIPES / config), "--not_a_key", "1"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(RECIPES / f"{recipe}.py"), run_name="__main__")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: transformers ") and "need transformers>=999.0" in err
    assert len(err.splitlines()) == 1
