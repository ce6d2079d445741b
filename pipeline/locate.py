"""Where the files a pipeline config names (training scripts, their base YAMLs, an ablation's base
pipeline) are found, so ``xcoder pipeline`` works in a checkout and from an installed wheel alike.

A relative path is looked up, in order:

1. beside the config file that names it (``sft.yaml`` next to your ``pipeline.yaml``);
2. in the current directory (``recipes/tiny/sft.yaml`` run from a checkout, as ``make demo`` does);
3. under the directory the ``recipes`` package is installed in: the checkout itself, or the wheel's
   packaged copy of ``recipes/`` (scripts and YAMLs ship as package data), so the bundled names such
   as ``recipes/tiny/grpo.yaml`` resolve anywhere.
"""

from __future__ import annotations

from pathlib import Path

from xcoder.config import ConfigError

# The directory holding the ``recipes`` and ``pipeline`` packages: the checkout, or site-packages.
INSTALL_ROOT = Path(__file__).resolve().parent.parent


def candidates(name: str | Path, config_dir: str | Path | None = None) -> list[Path]:
    """The places ``name`` is looked for, in order."""
    path = Path(name)
    if path.is_absolute():
        return [path]
    places = [Path(config_dir) / path] if config_dir is not None else []
    return [*places, Path.cwd() / path, INSTALL_ROOT / path]


def locate(name: str | Path, config_dir: str | Path | None = None, what: str | None = None) -> Path:
    """The first existing file among :func:`candidates`; a :class:`ConfigError` naming ``what``
    (e.g. ``sft.config: recipes/tiny/sftx.yaml``) and the places tried otherwise."""
    tried = candidates(name, config_dir)
    for path in tried:
        if path.is_file():
            return path
    where = ", ".join(str(p.parent) for p in dict.fromkeys(tried))
    raise ConfigError(f"{what or name}: file not found (looked in {where})")


__all__ = ["INSTALL_ROOT", "candidates", "locate"]
