"""The training launch scripts (``sft.py``, ``grpo.py``) and their YAML configs.

A package only so that an installed xcoder ships them: ``xcoder pipeline`` finds
``recipes/tiny/sft.yaml`` and runs ``recipes/sft.py`` from the installed copy when there is no
checkout (see ``pipeline.locate``). Users run the scripts by path, as before."""
