"""The mistakes the generator can write into an implementation, and the row each one belongs to.

Each id is one of the plugin's catalogue (`pytest_rnnconformance/judge/catalogue.py`, DESIGN.md's list),
but what it *is* here is the generator's own: `writer.py` writes the wrong line, and `owner` says which
row of the matrix must show it, derived from the mistake's nature and the implementation's shape, not
from how the plugin routes failures:

* a mistake in the recurrence itself (weights, biases, gates, the state's carry, the time index) is
  seen on the base configuration, so ``forward`` owns it;
* a batch-first mistake is ``forward``'s when the implementation is batch-first only (its base is
  batch-first), and ``layout``'s when it takes a ``batch_first`` flag (its base is seq-first);
* ``h_n`` laid out batch-first holds the right numbers in the wrong shape: ``shape``;
* a float32 buffer is right at float32's precision and only the result's dtype is off: ``dtype``;
* a state rounded to float32 every step is exact in the float32 column and off in float64: ``float64``;
* a hand-written tanh that overflows is right until the pre-activations saturate: ``edge_cases``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class GeneratedMistake:
    """One mistake: when it can be written into a design, and the row that owns it there."""

    id: str
    applies: Callable  # (Design) -> bool
    owner: Callable  # (Design) -> row name


def _forward(design) -> str:
    return "forward"


def _layout_owner(design) -> str:
    return "forward" if design.layout == "batch" else "layout"


def _sequence(design) -> bool:
    return design.entry != "cell"


def _returns_output(design) -> bool:
    return _sequence(design) and design.returns in ("torch", "cache", "steps", "output")


def _returns_states(design) -> bool:
    return design.entry == "cell" or design.returns in ("torch", "steps", "h_n")


def _two_biases(design) -> bool:
    return design.bias == "two"


def _gated(design) -> bool:
    return design.mode in ("lstm", "gru")


def _batch_first_able(design) -> bool:
    return _sequence(design) and (design.layout == "batch" or (design.layout == "param" and design.refusal != "batch_first"))


MISTAKES = (
    GeneratedMistake("gate_order", lambda d: _gated(d) and d.storage != "per_gate", _forward),
    GeneratedMistake("missing_bias_hh", _two_biases, _forward),
    GeneratedMistake("missing_bias_ih", _two_biases, _forward),
    GeneratedMistake("bias_twice", _two_biases, _forward),
    GeneratedMistake("weights_transposed", lambda d: d.storage == "torch", _forward),
    GeneratedMistake("wrong_nonlinearity", lambda d: d.mode == "rnn", _forward),
    GeneratedMistake("wrong_gate_activation", _gated, _forward),
    GeneratedMistake("gru_reset_before_matmul", lambda d: d.mode == "gru", _forward),
    GeneratedMistake("gru_update_swapped", lambda d: d.mode == "gru", _forward),
    GeneratedMistake("state_not_carried", _sequence, _forward),
    GeneratedMistake("time_shift", _returns_output, _forward),
    GeneratedMistake("initial_state_ignored", lambda d: True, _forward),
    GeneratedMistake("batch_mixing", _batch_first_able, _layout_owner),
    GeneratedMistake("output_seq_first", lambda d: _batch_first_able(d) and _returns_output(d) and d.returns != "steps",
                     _layout_owner),
    GeneratedMistake("hn_batch_first", lambda d: d.layout == "batch" and d.layer_dim and _returns_states(d)
                     and _sequence(d), lambda d: "shape"),
    GeneratedMistake("default_dtype_buffer", lambda d: d.backend == "torch" and _returns_output(d) and d.returns != "steps",
                     lambda d: "dtype"),
    GeneratedMistake("low_precision", lambda d: True, lambda d: "float64"),
    GeneratedMistake("unstable_activation", lambda d: True, lambda d: "edge_cases"),
)
BY_ID = {mistake.id: mistake for mistake in MISTAKES}


def mistakes_for(design) -> list:
    """The ids of the mistakes that can be written into `design`."""
    return [mistake.id for mistake in MISTAKES if mistake.applies(design)]


def owner_of(design) -> str:
    """The row that must fail for `design`'s mistake ('' for a correct one)."""
    return BY_ID[design.mistake].owner(design) if design.mistake else ""
