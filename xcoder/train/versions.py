"""The oldest releases the training recipes work with, checked at launch and against the recipes.

Why: a floor in ``pyproject.toml`` that is lower than what the recipes use lets pip keep an old
release, and the run then dies at argument parsing with a message about an unused
``--activation_checkpointing``. So the floors live here, once:

* :data:`FLOORS` -- what ``pyproject.toml``'s ``train`` extra requires (a test keeps them equal);
* :data:`INTRODUCED` -- the release that introduced each config key or API the recipes and
  ``xcoder/train`` use that is newer than the previous floors, with the evidence;
* ``floor_fields.json`` -- the field names of every config dataclass (and ``accelerate launch``'s
  options) as they are *at the floors*, recorded from the released wheels with
  ``python -m xcoder.train.versions record WHEEL...``. A recipe key must be in it or in
  :data:`INTRODUCED` at or below the floor (``tests/test_version_floors.py``), so a new key cannot
  raise the floor silently.

:func:`require_train_versions` runs first in ``recipes/sft.py`` and ``recipes/grpo.py``, before any
parsing or loading, and stops with one line naming the installed and the needed version.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

# Keep equal to the `train` extra in pyproject.toml (tests/test_version_floors.py checks).
FLOORS: dict[str, str] = {
    "transformers": "5.23.0",
    "trl": "1.8.0",
    "accelerate": "1.6.0",
    "peft": "0.17.0",
    "datasets": "4.7.0",
}
# Needed only by some runs (use_peft); checked when installed, never demanded.
OPTIONAL = ("peft",)
FIELDS_FILE = Path(__file__).with_name("floor_fields.json")


@dataclass(frozen=True)
class Introduced:
    """``key`` of ``owner`` (a config dataclass, ``launch`` for accelerate's options, or ``api``)
    first appears in ``package`` ``version``; ``evidence`` says how that was established."""

    package: str
    owner: str
    key: str
    version: str
    evidence: str


_WHEEL = "dataclass fields of the released wheels (pip download --no-deps), read with ast"
INTRODUCED: tuple[Introduced, ...] = (
    Introduced(
        "transformers",
        "TrainingArguments",
        "activation_checkpointing",
        "5.23.0",
        f"absent in 5.22.2, present in 5.23.0 ({_WHEEL}); 5.17.0 rejects it at parsing (measured)",
    ),
    Introduced(
        "transformers",
        "TrainingArguments",
        "activation_checkpointing_kwargs",
        "5.23.0",
        f"absent in 5.22.2, present in 5.23.0 ({_WHEEL})",
    ),
    Introduced(
        "trl",
        "SFTConfig",
        "trust_remote_code",
        "1.7.0",
        f"read by xcoder.train.sft.prepare_model; absent in 1.6.0, present in 1.7.0 ({_WHEEL})",
    ),
    Introduced("trl", "GRPOConfig", "entropy_coef", "1.8.0", f"absent in 1.7.0, present in 1.8.0 ({_WHEEL})"),
    Introduced(
        "trl",
        "DatasetConfig",
        "fraction",
        "1.8.0",
        f"the weight of a `datasets:` mixture entry; absent in 1.7.0, present in 1.8.0 ({_WHEEL})",
    ),
    Introduced(
        "accelerate",
        "launch",
        "fsdp_version",
        "1.6.0",
        "`accelerate launch --fsdp_version` (FSDP2, recipes/accelerate/fsdp.yaml): absent in 1.5.2, "
        "present in 1.6.0 (commands/launch.py of the wheels)",
    ),
    Introduced(
        "accelerate",
        "launch",
        "fsdp_reshard_after_forward",
        "1.6.0",
        "absent in 1.5.2, present in 1.6.0 (commands/launch.py of the wheels)",
    ),
    Introduced(
        "datasets",
        "api",
        "datasets.List",
        "4.0.0",
        "xcoder.train.sft builds Features with datasets.List (new in 4.0); TRL >= 1.0 itself requires "
        "datasets>=4.7.0 (its wheel's Requires-Dist), which sets the floor",
    ),
    Introduced(
        "peft",
        "LoraConfig",
        "target_parameters",
        "0.17.0",
        "TRL's get_peft_config (use_peft: true) passes LoraConfig(target_parameters=...): peft 0.16.0 and "
        "0.15.2 fail with TypeError, 0.17.0 trains the LoRA test (tests/test_sft_recipe.py) with the other "
        "floors (measured in a venv of the floor versions)",
    ),
)


def _version(text: str):
    from packaging.version import Version

    return Version(text)


def installed(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def version_problems(floors: dict[str, str] | None = None) -> list[str]:
    """One line per package that is missing or older than its floor (empty when all is well)."""
    problems = []
    for package, floor in (floors or FLOORS).items():
        have = installed(package)
        if have is None:
            if package not in OPTIONAL:
                problems.append(
                    f"{package} is not installed; the training recipes need {package}>={floor} "
                    "(pip install 'xcoder[train]')"
                )
        elif _version(have) < _version(floor):
            problems.append(
                f"{package} {have} is installed; the training recipes need {package}>={floor} "
                f"(pip install -U '{package}>={floor}')"
            )
    return problems


def require_train_versions(floors: dict[str, str] | None = None) -> None:
    """Stop with ``error: <one line>`` (exit 2) when a training package is missing or too old.

    Call it before parsing a recipe's config: an old transformers fails *there*, with a message
    about unused arguments that does not say what is wrong."""
    problems = version_problems(floors)
    if problems:
        from xcoder.cli_errors import USER_ERROR_EXIT, fail

        fail("; ".join(problems))
        raise SystemExit(USER_ERROR_EXIT)


def floor_fields() -> dict[str, dict[str, list[str]]]:
    """``{"package==version": {owner: [field, ...]}}`` recorded from the floor releases."""
    return json.loads(FIELDS_FILE.read_text())


# The config dataclasses whose keys a recipe YAML of each kind may hold (besides our script arguments).
KIND_OWNERS: dict[str, tuple[tuple[str, str], ...]] = {
    "sft": (
        ("transformers", "TrainingArguments"),
        ("trl", "SFTConfig"),
        ("trl", "ModelConfig"),
        ("trl", "ScriptArguments"),
        ("trl", "DatasetMixtureConfig"),
    ),
    "grpo": (
        ("transformers", "TrainingArguments"),
        ("trl", "GRPOConfig"),
        ("trl", "ModelConfig"),
        ("trl", "ScriptArguments"),
    ),
    "datasets": (("trl", "DatasetConfig"),),  # an entry of an SFT `datasets:` list
    "accelerate": (("accelerate", "launch"),),  # `accelerate launch` options, as its config keys map to them
}


def keys_not_at_floor(
    keys, kind: str, ours: set[str] = frozenset(), floors: dict[str, str] | None = None, recorded: dict | None = None
) -> dict[str, str]:
    """``{key: why}`` for each key a release at the floors would not accept. A key is accepted if it
    is one of ``ours`` (our script arguments), in the fields recorded at the floors, or introduced
    (per :data:`INTRODUCED`) at or below its package's floor. A key in none of them is refused too:
    a new key must be added to :data:`INTRODUCED`, and the floor raised, on purpose."""
    floors = floors or FLOORS
    recorded = recorded if recorded is not None else floor_fields()
    by_package = {name.split("==")[0]: (name.split("==")[1], owners) for name, owners in recorded.items()}
    problems = {}
    for key in keys:
        if key in ours:
            continue
        why = None
        for package, owner in KIND_OWNERS[kind]:
            floor = floors[package]
            intro = [i for i in INTRODUCED if (i.package, i.owner, i.key) == (package, owner, key)]
            if intro:
                if _version(intro[0].version) <= _version(floor):
                    why = None
                    break
                why = f"{owner}.{key} is new in {package} {intro[0].version}, above the floor {package}>={floor}"
                continue
            at, owners = by_package.get(package, (None, {}))
            if at == floor and key in owners.get(owner, ()):
                why = None
                break
        else:
            why = why or (
                f"not a field of {' / '.join(o for _, o in KIND_OWNERS[kind])} at the floors "
                f"({', '.join(f'{p}=={floors[p]}' for p in {p for p, _ in KIND_OWNERS[kind]})}); "
                "add it to xcoder.train.versions.INTRODUCED with the release that introduced it"
            )
            problems[key] = why
    return problems


# --------------------------------------------------------------------------------------------
# Recording the fields of a release (maintenance: run when a floor moves)

# package -> {owner: (module path inside the wheel, class name)}; "launch" = accelerate's launch options
SOURCES: dict[str, dict[str, tuple[str, str]]] = {
    "transformers": {"TrainingArguments": ("transformers/training_args.py", "TrainingArguments")},
    "trl": {
        "SFTConfig": ("trl/trainer/sft_config.py", "SFTConfig"),
        "GRPOConfig": ("trl/trainer/grpo_config.py", "GRPOConfig"),
        "ModelConfig": ("trl/trainer/model_config.py", "ModelConfig"),
        "ScriptArguments": ("trl/scripts/utils.py", "ScriptArguments"),
        "DatasetMixtureConfig": ("trl/scripts/utils.py", "DatasetMixtureConfig"),
        "DatasetConfig": ("trl/scripts/utils.py", "DatasetConfig"),
    },
    "accelerate": {"launch": ("accelerate/commands/launch.py", "")},
}


def _class_fields(sources: dict[str, str], path: str, name: str) -> list[str]:
    """Annotated fields of class ``name`` in ``path`` plus those of its bases defined in the same package."""
    tree = ast.parse(sources[path])
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            own = [s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
            inherited: list[str] = []
            for base in node.bases:
                base_name = ast.unparse(base).split(".")[-1]
                for other, text in sources.items():
                    if re.search(rf"^class {base_name}\b", text, re.M):
                        inherited += _class_fields(sources, other, base_name)
                        break
            return sorted(set(own) | set(inherited))
    raise ValueError(f"class {name} not found in {path}")


def record_wheel(wheel: str | Path) -> tuple[str, dict[str, list[str]]]:
    """``("package==version", {owner: fields})`` read from a wheel's source, without importing it."""
    name, version = Path(wheel).name.split("-")[:2]
    package = name.replace("_", "-")
    with zipfile.ZipFile(wheel) as z:
        sources = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".py")}
    out = {}
    for owner, (path, cls) in SOURCES[package].items():
        if owner == "launch":
            out[owner] = sorted(set(re.findall(r'"--([a-z0-9_]+)"', sources[path])))
        else:
            out[owner] = _class_fields(sources, path, cls)
    return f"{package}=={version}", out


def main(argv: list[str] | None = None) -> None:
    """``python -m xcoder.train.versions record WHEEL...``: rewrite floor_fields.json from the floor
    releases' wheels (``pip download --no-deps transformers==X trl==Y accelerate==Z -d DIR``)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "record" or len(argv) < 2:
        raise SystemExit("usage: python -m xcoder.train.versions record WHEEL...")
    recorded = dict(record_wheel(w) for w in argv[1:])
    FIELDS_FILE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIELDS_FILE}: {', '.join(recorded)}")


if __name__ == "__main__":
    main()
