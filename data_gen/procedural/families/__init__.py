"""The registry of task families, by name (one module per algorithmic area)."""

from __future__ import annotations

from data_gen.procedural.families import arithmetic, arrays, dp, graphs, number_theory, strings
from data_gen.procedural.family import Family, FamilyError

AREAS = {
    "arithmetic": arithmetic.FAMILIES,
    "strings": strings.FAMILIES,
    "arrays": arrays.FAMILIES,
    "dp": dp.FAMILIES,
    "number_theory": number_theory.FAMILIES,
    "graphs": graphs.FAMILIES,
}

AREA_DIFFICULTY = {
    "arithmetic": "easy",
    "strings": "easy",
    "arrays": "medium",
    "dp": "hard",
    "number_theory": "medium",
    "graphs": "hard",
}
"""The difficulty label held-out problems get (LiveCodeBench rows need one; eval groups by it)."""


def area_of(name: str) -> str:
    """The area (module) a family belongs to."""
    for area, families in AREAS.items():
        if any(f.name == name for f in families):
            return area
    raise FamilyError(f"unknown task family {name!r}")


def _registry() -> dict[str, Family]:
    families: dict[str, Family] = {}
    fns: dict[str, str] = {}
    for area in AREAS.values():
        for family in area:
            if family.name in families:
                raise FamilyError(f"two families are named {family.name!r}")
            if family.fn in fns:
                raise FamilyError(f"families {fns[family.fn]} and {family.name} share the method name {family.fn!r}")
            families[family.name] = family
            fns[family.fn] = family.name
    return families


FAMILIES: dict[str, Family] = _registry()


def get_families(names: list[str] | None = None) -> list[Family]:
    """Families by name (all when ``names`` is None or empty), in registry order."""
    if not names:
        return list(FAMILIES.values())
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise FamilyError(
            f"unknown task famil{'y' if len(unknown) == 1 else 'ies'} {unknown}; known: {sorted(FAMILIES)}"
        )
    wanted = set(names)  # a set: the order names are listed in never changes what is sampled
    return [f for n, f in FAMILIES.items() if n in wanted]
