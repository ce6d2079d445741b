"""The pipeline's stages, one module each. Every stage takes the config (and the state when it reads
an earlier stage's outputs) and returns the facts ``pipeline_state.json`` records for it.

1. ``data``   (:mod:`.data`)     procedural training tasks and the held-out split;
2. ``model``  (:mod:`.model`)    the tiny model and its tokenizer;
3. ``verify`` (:mod:`.verify`)   SynthSmith verify -> filter -> export;
4. ``sft``, 6. ``grpo`` (:mod:`.train`)   the training recipes, run as subprocesses;
5. ``select`` (:mod:`.select`)   optional (off by default): RL rows kept by the SFT model's pass rate;
7. ``eval``   (:mod:`.evaluate`) held-out avg@n of base, SFT and RL;
8. ``report`` (:mod:`pipeline.report`).
"""

from pipeline.stages.data import stage_data
from pipeline.stages.evaluate import stage_eval
from pipeline.stages.model import stage_model
from pipeline.stages.select import stage_select
from pipeline.stages.train import stage_grpo, stage_sft
from pipeline.stages.verify import stage_verify, vote_statistics

__all__ = [
    "stage_data",
    "stage_eval",
    "stage_grpo",
    "stage_model",
    "stage_select",
    "stage_sft",
    "stage_verify",
    "vote_statistics",
]
