"""Hypothesis strategies for RNN configurations and their inputs (public API; see `draw.strategies`)."""
from .draw.strategies import inputs, recipes, specs

__all__ = ["specs", "recipes", "inputs"]
