"""The recipe runtime: a run's steps from plain values, shipped with exports."""
