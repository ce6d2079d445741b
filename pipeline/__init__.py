"""The end-to-end orchestrator: ``xcoder pipeline`` (procedural data -> tiny model -> SynthSmith
verify/export -> SFT -> GRPO -> held-out eval -> report) and ``xcoder ablations`` (pipeline variants
side by side). It composes the other rooms (``data_gen``, ``recipes``, ``rewards`` through the GRPO
recipe, ``eval``); none of them imports it.

Modules: :mod:`.config` (``PipelineConfig``), :mod:`.locate` (where recipe files are found),
:mod:`.state` (``pipeline_state.json``), :mod:`.stages` (one module per stage), :mod:`.runner`
(``run_pipeline``), :mod:`.report`, :mod:`.variants` (training-set variants), :mod:`.ablations`,
:mod:`.cli`.
"""
