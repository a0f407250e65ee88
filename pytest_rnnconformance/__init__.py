"""pytest-rnnconformance: does your RNN / LSTM / GRU compute what torch.nn computes?

The plugin itself is loaded by pytest (entry point ``pytest11``). This package also exposes what
users' own tests need: `RNNSpec`, the `implements` declaration, `make_inputs` and `InputRecipe` to
rebuild a counterexample, `rnn_check`, and the hypothesis strategies in
``pytest_rnnconformance.strategies``. Heavy imports (torch) happen on first use.
"""
from __future__ import annotations

from typing import Any

from .spec import RNNSpec
from .support import implements

__all__ = ["RNNSpec", "implements", "make_inputs", "InputRecipe", "RNNInputs", "rnn_check",
           "ConformanceFailure", "CandidateError"]
__version__ = "0.1.0"

_LAZY = {
    "make_inputs": ("inputs", "make_inputs"),
    "InputRecipe": ("inputs", "InputRecipe"),
    "RNNInputs": ("inputs", "RNNInputs"),
    "rnn_check": ("api", "rnn_check"),
    "ConformanceFailure": ("outcomes", "ConformanceFailure"),
    "CandidateError": ("outcomes", "CandidateError"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
