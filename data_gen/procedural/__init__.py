"""Offline procedural task source: task families composed from algorithmic features.

Each family (``families/``) declares its arguments, phrasings, parameter sampler, cyaron input
generator, reference solution and plausible buggy ones; ``styles`` renders statements in the
Codeforces, AtCoder and LeetCode styles; ``generate`` samples instances and emits the SynthSmith
records (so ``verify``/``filter``/``export`` are shared) plus a held-out split in LiveCodeBench
format. No network, no model: the demo pipeline (``pipeline``) starts here.
"""

from data_gen.procedural.families import FAMILIES, get_families
from data_gen.procedural.family import Arg, Family, FamilyError
from data_gen.procedural.generate import (
    Instance,
    ProceduralConfig,
    holdout_problems,
    instance_records,
    sample_instance,
    sample_instances,
)

__all__ = [
    "FAMILIES",
    "Arg",
    "Family",
    "FamilyError",
    "Instance",
    "ProceduralConfig",
    "get_families",
    "holdout_problems",
    "instance_records",
    "sample_instance",
    "sample_instances",
]
