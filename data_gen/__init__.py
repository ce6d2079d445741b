"""SynthSmith data generation: seed code -> features -> tasks -> solutions -> tests -> dual
verification -> filtered SFT and RL datasets (``xcoder gen run``; see docs/data_gen.md).

One module per stage in ``data_gen/stages/`` (named as the stage), prompts in ``data_gen/prompts/``,
the shared record schema in ``data_gen/records.py``, the stage API in ``data_gen/stage.py``, on-disk
parts, shards and manifests in ``data_gen/storage.py`` and the resumable, shardable executor in
``data_gen/runner.py``."""
