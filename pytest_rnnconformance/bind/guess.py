"""Guessing what unknown parameter names mean: ``W_xi`` is the input weight of gate i.

Used two ways: for a module whose parameters have names of their own (mapped by structure without
asking, with each match shown in the header), and for a function's unknown parameters with
``--rnn-bind auto`` (without ``auto`` the guess is only printed, as a ready ``--rnn-bind`` line).

Names decide *what* a parameter is and never the gate order: ``W_xf`` is always the forget gate's
block, whatever order the implementation stacks or reads its gates in, so a gate-order bug stays a
bug. Only storage conventions are left open, to be settled by shapes or by the probe: whether
weights are stored (out, in) like torch.nn's or (in, out) for ``x @ W``, and, for weights applied to
the concatenation of h and x, which comes first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .expressions import Cat, Expr, GateBlock, Name, Sum, Transpose

LETTERS = {"lstm": {"i": "i", "f": "f", "g": "g", "c": "g", "o": "o"},
           "gru": {"r": "r", "z": "z", "n": "n", "h": "n"},
           "rnn": {}}
OUTPUT_LAYER = ("hq", "hy", "q", "y", "out", "hout", "yh")  # an output layer a tutorial adds


@dataclass(frozen=True)
class Guess:
    """What one parameter is: `kind` in input/hidden/joint weight, biases, output layer."""

    kind: str  # "input_weight", "hidden_weight", "joint_weight", "bias", "input_bias", "hidden_bias",
    #            "output_weight", "output_bias"
    gate: Optional[str] = None  # the gate's letter, None for every gate stacked

    def expression(self, transposed: bool, hidden_first: bool = True) -> Expr:
        """The expression for this guess under the storage conventions given."""
        def block(name: str) -> Expr:
            ref: Expr = Name(name)
            return GateBlock(ref, self.gate) if self.gate else ref

        def oriented(expr: Expr) -> Expr:
            return Transpose(expr) if transposed else expr

        if self.kind == "input_weight":
            return oriented(block("weight_ih"))
        if self.kind == "hidden_weight":
            return oriented(block("weight_hh"))
        if self.kind == "joint_weight":
            parts = (block("weight_hh"), block("weight_ih"))
            return oriented(Cat(parts if hidden_first else parts[::-1]))
        if self.kind == "bias":
            return Sum((block("bias_ih"), block("bias_hh")))
        if self.kind == "input_bias":
            return block("bias_ih")
        if self.kind == "hidden_bias":
            return block("bias_hh")
        return Name("eye" if self.kind == "output_weight" else "zeros")


def _parts(name: str) -> str:
    """'W_xi' -> 'wxi', 'weightHF' -> 'weighthf': lower case, separators dropped."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess(name: str, family: str, per_gate: bool) -> Optional[Guess]:
    """What `name` means in a `family` ('rnn', 'lstm', 'gru') network, or None if it does not say.

    `per_gate` tells whether the signature names gates elsewhere (then a GRU's ``W_xh`` is the
    candidate's block, as in d2l, not the whole input weight).
    """
    letters = LETTERS.get(family, {})
    text = _parts(name)
    text = re.sub(r"^weights?", "w", text)
    text = re.sub(r"^bias(es)?", "b", text)
    if not text or text[0] not in "wb":
        return None
    head, rest = text[0], text[1:]
    if rest in OUTPUT_LAYER:
        return Guess("output_weight" if head == "w" else "output_bias")
    if head == "w":
        return _weight(rest, letters, family, per_gate)
    return _bias(rest, letters, family, per_gate)


def _gate(letter: str, letters: dict, family: str, per_gate: bool) -> tuple[bool, Optional[str]]:
    """(understood, gate): 'h' in a GRU names the candidate n only where gates are named."""
    if letter in letters and (letter != "h" or per_gate):
        return True, letters[letter]
    if letter == "h" and family in ("rnn", "gru"):
        return True, None
    return False, None


def _weight(rest: str, letters: dict, family: str, per_gate: bool) -> Optional[Guess]:
    if per_gate and len(rest) == 1 and rest in letters:
        return Guess("joint_weight", letters[rest])
    if rest in ("x", "i", "ih", "xh", "in") and not (per_gate and family == "gru" and rest == "xh"):
        return Guess("input_weight")
    if rest in ("h", "hh", "rec") and not (per_gate and family == "gru" and rest == "hh"):
        return Guess("hidden_weight")
    if len(rest) == 2 and rest[0] in "xih":
        understood, gate = _gate(rest[1], letters, family, per_gate)
        if understood and gate is not None:
            return Guess("input_weight" if rest[0] in "xi" else "hidden_weight", gate)
    if len(rest) == 1:
        understood, gate = _gate(rest, letters, family, per_gate)
        if understood and gate is not None:
            return Guess("joint_weight", gate)
    return None


def _bias(rest: str, letters: dict, family: str, per_gate: bool) -> Optional[Guess]:
    if per_gate and len(rest) == 1 and rest in letters:
        return Guess("bias", letters[rest])
    if rest in ("", "h") and not (per_gate and family == "gru"):
        return Guess("bias")
    if rest in ("x", "i", "ih"):
        return Guess("input_bias")
    if rest in ("hh",):
        return Guess("hidden_bias")
    if len(rest) == 1:
        understood, gate = _gate(rest, letters, family, per_gate)
        if understood and gate is not None:
            return Guess("bias", gate)
    if len(rest) == 2 and rest[0] in "xih":
        understood, gate = _gate(rest[1], letters, family, per_gate)
        if understood and gate is not None:
            return Guess("input_bias" if rest[0] in "xi" else "hidden_bias", gate)
    return None


def names_gates(names: list, family: str) -> bool:
    """Whether several names carry gate letters (per-gate weights) in this family."""
    letters = set(LETTERS.get(family, {})) - {"h"}
    gated = [n for n in names if len(_parts(n)) >= 2 and _parts(n)[-1] in letters and _parts(n)[0] in "wb"]
    return len(gated) >= 2


def render_map(mapping: dict) -> str:
    """A ready ``--rnn-bind`` value: ``Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh``."""
    return ",".join(f"{name}={expr}" for name, expr in mapping.items())
