"""The SynthSmith stages, one module per stage named exactly as the stage (``STAGES`` in
``data_gen/config.py``); each exports its :class:`~data_gen.stage.Stage` subclass as ``STAGE``, and
:func:`data_gen.stage.stage_class` finds it by name."""
