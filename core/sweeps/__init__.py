"""Hyperparameter sweeps: many runs of one project, each with other settings.

What may vary comes from the settings' own declarations (``space``); a sweep
is described by ``SWEEP.json`` (``spec``, docs/sweeps.md); KerasTuner picks
each trial's settings (``search``: random, Bayesian, Hyperband), and every
trial is an ordinary run of the project's runs folder (``trials``), which the
sweep's folder beside them names (``folder``). Only ``search`` and
``trials`` import Keras or KerasTuner: the rest reads and checks sweeps
instantly, for the GUI's forms and tables.
"""
