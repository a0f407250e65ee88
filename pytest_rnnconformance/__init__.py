"""pytest-rnnconformance: does your RNN / LSTM / GRU compute what torch.nn computes?

The plugin itself is loaded by pytest (entry point ``pytest11``). This package also exposes what
users' own tests need: `RNNSpec`, the `implements` declaration, `make_inputs` and `InputRecipe` to
rebuild a counterexample, `rnn_implementation`, `rnn_check` and the hypothesis strategies in
``pytest_rnnconformance.strategies``, and `CellType` for the ``register_cells`` hook. Everything is
imported on first use: loading the plugin imports neither torch nor hypothesis.
"""
from __future__ import annotations

from typing import Any

from .version import __version__

__all__ = ["__version__", "RNNSpec", "implements", "make_inputs", "InputRecipe", "RNNInputs", "rnn_check", "CellType",
           "ConformanceFailure", "CandidateError", "rnn_implementation", "RNNImplementation"]

_LAZY = {
    "RNNSpec": ("spec", "RNNSpec"),
    "implements": ("bind.support", "implements"),
    "CellType": ("modes", "CellType"),
    "make_inputs": ("draw.inputs", "make_inputs"),
    "InputRecipe": ("draw.inputs", "InputRecipe"),
    "RNNInputs": ("draw.inputs", "RNNInputs"),
    "rnn_check": ("api", "rnn_check"),
    "rnn_implementation": ("api", "rnn_implementation"),
    "RNNImplementation": ("api", "RNNImplementation"),
    "ConformanceFailure": ("api", "ConformanceFailure"),
    "CandidateError": ("api", "CandidateError"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
