"""User errors of the training recipes, caught before anything heavy happens: an unknown flag or
YAML key (TRL's parser raises ``ValueError``) and a local data path that does not exist are one
``error:`` line and exit 2, before a model is built or loaded."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_LOCAL_SUFFIXES = (".json", ".jsonl", ".csv", ".parquet", ".arrow", ".txt")


def _looks_local(path: str) -> bool:
    return path.startswith(("/", "./", "../", "~")) or Path(path).suffix.lower() in _LOCAL_SUFFIXES


def check_data_paths(script_args: Any, dataset_args: Any = None) -> None:
    """Raise :class:`~xcoder.cli_errors.UserError` naming the key of the first local data path
    (``dataset_name``, ``dataset_files``, ``datasets[i].path``, ``replay_dataset``) that does not
    exist; hub ids pass."""
    from xcoder.cli_errors import UserError

    paths: list[tuple[str, str]] = []
    if dataset_args is not None and getattr(dataset_args, "datasets", None):
        paths += [(f"datasets[{i}].path", d.path) for i, d in enumerate(dataset_args.datasets)]
    elif getattr(script_args, "dataset_files", None):
        paths += [(f"dataset_files[{i}]", p) for i, p in enumerate(script_args.dataset_files)]
    elif getattr(script_args, "dataset_name", None):
        paths.append(("dataset_name", script_args.dataset_name))
    if getattr(script_args, "replay_dataset", None):
        paths.append(("replay_dataset", script_args.replay_dataset))
    for key, path in paths:
        if not isinstance(path, str) or any(ch in path for ch in "*?["):
            continue
        if _looks_local(path) and not Path(path).expanduser().exists():
            raise UserError(f"{key}: {path} does not exist")


def parse_or_exit(parse: Callable[[], T]) -> T:
    """``parse()`` (a recipe's argument parsing), with a rejected flag or YAML key as one line, exit 2."""
    try:
        return parse()
    except ValueError as err:
        sys.stderr.write(f"error: {str(err).splitlines()[0]}\n")
        raise SystemExit(2) from None


def user_error_exit(err: Exception) -> None:
    sys.stderr.write(f"error: {err}\n")
    raise SystemExit(2) from None
