"""`rnn_check`: the suite's check, for users' own tests and for reproducing a counterexample."""
from __future__ import annotations

from typing import Any, Optional, Union

from .binding import bind
from .check import Checker
from .inputs import RNNInputs, make_inputs
from .loading import load_target
from .prober import probe_binding
from .spec import RNNSpec

_BINDINGS: dict = {}


def binding_for(impl: Any, mode: Optional[str] = None):
    """Load and bind an implementation (a target string or the object itself), once per process."""
    key = (impl if isinstance(impl, str) else id(impl), mode)
    if key not in _BINDINGS:
        target = load_target(impl) if isinstance(impl, str) else impl
        label = impl if isinstance(impl, str) else getattr(impl, "__qualname__", repr(impl))
        binding = bind(target, label, mode)
        probe_binding(binding, label)
        _BINDINGS[key] = binding
    return _BINDINGS[key]


def rnn_check(impl: Any, spec: Union[RNNSpec, RNNInputs], inputs: Optional[RNNInputs] = None, *,
              mode: Optional[str] = None, feature: str = "forward") -> None:
    """Check `impl` on one input against torch.nn and the float64 reference.

    ``rnn_check("my_lstm.py:lstm_forward", spec, inputs)``, or ``rnn_check(impl, inputs)``, or
    ``rnn_check(impl, spec)`` (a small default input). Raises `ConformanceFailure` (wrong result)
    or `CandidateError` (crash, unusable result) with the suite's message; returns None if it conforms.
    """
    if isinstance(spec, RNNInputs):
        inputs, spec = spec, spec.spec
    if inputs is None:
        inputs = make_inputs(spec, time=3, batch=2, seed=0)
    binding = binding_for(impl, mode or spec.mode)
    label = impl if isinstance(impl, str) else binding.name
    Checker(binding, label, feature).check(inputs)
