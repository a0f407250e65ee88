"""What each of a generated implementation's parameters holds, in one form read two ways.

A `Slot` value is a small tree over torch.nn's tensors: a weight (one gate's block, transposed or
not), a bias, a sum, the two weights joined for ``[h, x]``, a list of per-gate blocks, the input, a
state or a size. `render` writes it in the binding language, for the declaration a user would type
(``--rnn-bind "Wx=weight_ih.T,..."``); `value` computes it from a torch.nn module's tensors with
plain torch, for the verifier. The two readings come from the same tree, so the declaration says
what the verifier feeds: neither goes through the plugin's own parser or evaluator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import torch

GATE_INDEX = {"lstm": {"i": 0, "f": 1, "g": 2, "o": 3}, "gru": {"r": 0, "z": 1, "n": 2}, "rnn": {"h": 0}}


@dataclass(frozen=True)
class Weight:
    side: str  # ih | hh
    gate: Optional[str] = None
    transposed: bool = False


@dataclass(frozen=True)
class Bias:
    side: str
    gate: Optional[str] = None


@dataclass(frozen=True)
class Sum:
    terms: tuple


@dataclass(frozen=True)
class Joined:
    """``cat(weight_hh, weight_ih)``: a weight applied to ``[h, x]``, (out, hidden + in)."""

    transposed: bool = False


@dataclass(frozen=True)
class Listed:
    items: tuple


@dataclass(frozen=True)
class Named:
    """The input, a state (``hx``, ``h0``, ``c0``) or a size (``input_size``, ``hidden_size``)."""

    name: str


Slot = Union[Weight, Bias, Sum, Joined, Listed, Named]


def render(slot: Slot) -> str:
    """The slot in the binding language (`pytest_rnnconformance/bind/expressions.py`'s grammar)."""
    if isinstance(slot, Weight):
        return f"weight_{slot.side}" + (f"[{slot.gate}]" if slot.gate else "") + (".T" if slot.transposed else "")
    if isinstance(slot, Bias):
        return f"bias_{slot.side}" + (f"[{slot.gate}]" if slot.gate else "")
    if isinstance(slot, Sum):
        return "+".join(render(term) for term in slot.terms)
    if isinstance(slot, Joined):
        return "cat(weight_hh,weight_ih)" + (".T" if slot.transposed else "")
    if isinstance(slot, Listed):
        return "[" + ",".join(render(item) for item in slot.items) + "]"
    return slot.name


def value(slot: Slot, mode: str, tensors: dict) -> Any:
    """The slot's value from torch.nn's layer-0 tensors (`tensors`: ``weight_ih``, ``bias_hh``, ``input``,
    ``h0``, ``c0``, ``hidden_size``...)."""
    if isinstance(slot, (Weight, Bias)):
        kind = "weight" if isinstance(slot, Weight) else "bias"
        found = tensors[f"{kind}_{slot.side}"]
        if slot.gate:
            hidden = tensors["hidden_size"]
            start = GATE_INDEX[mode][slot.gate] * hidden
            found = found[start:start + hidden]
        return found.T if getattr(slot, "transposed", False) else found
    if isinstance(slot, Sum):
        total = value(slot.terms[0], mode, tensors)
        for term in slot.terms[1:]:
            total = total + value(term, mode, tensors)
        return total
    if isinstance(slot, Joined):
        joined = torch.cat([tensors["weight_hh"], tensors["weight_ih"]], dim=-1)
        return joined.T if slot.transposed else joined
    if isinstance(slot, Listed):
        return [value(item, mode, tensors) for item in slot.items]
    if slot.name == "hx" and mode == "lstm":
        return (tensors["h0"], tensors["c0"])
    return tensors["h0" if slot.name == "hx" else slot.name]
