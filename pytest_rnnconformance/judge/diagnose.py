"""Naming the mistake: which known bug reproduces the candidate's result.

On a failed check the diagnoser runs each applicable entry of the catalogue (a `variants.Switches`
setting of the reference) on the failing input and keeps those whose result matches the
candidate's within the same tolerance the check used. An entry that matches every tensor explains
the failure; one that matches only some (say h_n but not the output) explains those tensors, which
is how several bugs at once are told apart. Ids are DESIGN.md's catalogue; the sentences are
written for the learner who has to fix the code.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch

from .compare import _max_abs_diff
from .results import named_tensors
from .variants import Switches, variant_forward

GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


@dataclass(frozen=True)
class Entry:
    id: str
    switches: Switches
    applies: Callable = field(default=lambda spec: True)
    sentence: Callable = field(default=lambda spec: "")


def _gate_order_entries() -> list:
    entries = []
    for mode, names in GATE_NAMES.items():
        for candidate in itertools.permutations(names):
            if candidate == names:
                continue
            order = tuple(candidate.index(name) for name in names)
            read, packed = ", ".join(candidate), ", ".join(names)
            entries.append(Entry(
                "gate_order", Switches(gate_order=order), lambda spec, m=mode: spec.mode == m,
                lambda spec, r=read, p=packed, m=mode.upper(): (
                    f"your {m} matches torch.nn with its gates ordered {r}: torch packs them {p} "
                    f"(unpack the chunks of the gate pre-activations in that order)")))
    return entries


def _has_bias(spec) -> bool:
    return spec.bias


CATALOGUE: list = _gate_order_entries() + [
    Entry("missing_bias_hh", Switches(bias_hh_scale=0.0), _has_bias,
          lambda spec: "your result matches torch.nn without bias_hh: add b_hh to the recurrent product h W_hhᵀ"),
    Entry("missing_bias_ih", Switches(bias_ih_scale=0.0), _has_bias,
          lambda spec: "your result matches torch.nn without bias_ih: add b_ih to the input product x W_ihᵀ"),
    Entry("bias_twice", Switches(bias_hh_scale=2.0), _has_bias,
          lambda spec: "your result matches torch.nn with bias_hh added twice: each bias is added once per step"),
    Entry("bias_twice", Switches(bias_ih_scale=2.0), _has_bias,
          lambda spec: "your result matches torch.nn with bias_ih added twice: each bias is added once per step"),
    Entry("reverse_hn_last_step", Switches(reverse_hn_last_step=True), lambda spec: spec.bidirectional,
          lambda spec: ("the reverse direction's h_n is taken from the last time step; the reverse pass ends at "
                        "step 0, so its h_n is output[0, :, H:] (output[:, 0, H:] with batch_first)")),
    Entry("reverse_output_not_flipped", Switches(reverse_output_not_flipped=True), lambda spec: spec.bidirectional,
          lambda spec: ("the reverse direction's outputs are left in reverse time order: flip them back so that "
                        "output[t] of both directions belongs to input step t")),
    Entry("state_layout_direction_major", Switches(state_direction_major=True),
          lambda spec: spec.bidirectional and spec.num_layers > 1,
          lambda spec: ("h0 and h_n are indexed direction-major (direction * num_layers + layer): torch.nn stacks "
                        "them layer-major, index layer * num_directions + direction")),
    Entry("gru_reset_before_matmul", Switches(gru_reset_before_matmul=True), lambda spec: spec.mode == "gru",
          lambda spec: ("your GRU applies the reset gate before the matrix product, W_hn (r ⊙ h) (Cho et al.); "
                        "torch.nn applies it after, r ⊙ (W_hn h + b_hn)")),
    Entry("gru_update_swapped", Switches(gru_update_swapped=True), lambda spec: spec.mode == "gru",
          lambda spec: "your GRU computes h' = z ⊙ n + (1 - z) ⊙ h; torch.nn computes h' = (1 - z) ⊙ n + z ⊙ h"),
    Entry("proj_applied_to_c", Switches(proj_on_cell=True), lambda spec: spec.mode == "lstm" and spec.proj_size > 0,
          lambda spec: ("the projection is applied to the cell state: torch.nn computes h = (o ⊙ tanh(c)) W_hrᵀ "
                        "and never projects c")),
    Entry("proj_missing", Switches(proj_truncated=True), lambda spec: spec.mode == "lstm" and spec.proj_size > 0,
          lambda spec: "weight_hr is not used: with proj_size > 0 torch.nn computes h = (o ⊙ tanh(c)) W_hrᵀ"),
    Entry("wrong_nonlinearity", Switches(nonlinearity_swapped=True), lambda spec: spec.mode == "rnn",
          lambda spec: (f"your RNN uses {'tanh' if spec.nonlinearity == 'relu' else 'relu'} where the spec asks "
                        f"for nonlinearity='{spec.nonlinearity}'")),
    Entry("state_not_carried", Switches(state_not_carried=True),
          sentence=lambda spec: "every step starts from h0: carry each step's new state into the next step"),
    Entry("time_shift", Switches(time_shift=True),
          sentence=lambda spec: ("the output is one step late: output[t] must be the state after step t, "
                                 "not before it")),
    Entry("weights_transposed", Switches(weights_reshaped=True),
          sentence=lambda spec: ("the weights are reshaped where they should be transposed: torch.nn computes "
                                 "x W_ihᵀ with W_ih of shape (gates * hidden, input); use W.T, not W.reshape/view")),
    Entry("batch_mixing", Switches(batch_first_by_reshape=True), lambda spec: spec.batch_first,
          lambda spec: ("batch-first input is turned into time-major by reshape, which mixes batch rows: "
                        "use transpose(0, 1)")),
    Entry("hn_batch_first", Switches(hn_batch_first=True), lambda spec: spec.batch_first,
          lambda spec: ("h_n is laid out batch-first: torch.nn's states are (layers * directions, batch, hidden) "
                        "even with batch_first=True")),
    Entry("packed_padding_run", Switches(padding_run=True), lambda spec: True,
          lambda spec: ("the padded steps of a packed batch run through the recurrence: each sequence must stop at "
                        "its own length (its h_n is its last real step) and a reverse pass must start there")),
    Entry("low_precision", Switches(compute_dtype=torch.bfloat16),
          sentence=lambda spec: "your result matches a computation in bfloat16: compute in the dtype you were given"),
    Entry("low_precision", Switches(compute_dtype=torch.float16),
          sentence=lambda spec: "your result matches a computation in float16: compute in the dtype you were given"),
    Entry("low_precision", Switches(compute_dtype=torch.float32),
          sentence=lambda spec: "your result matches a computation in float32: compute in the dtype you were given"),
]


@dataclass
class Explanation:
    id: str
    sentence: str
    tensors: list  # the tensors this mistake reproduces
    full: bool  # it reproduces every tensor
    error: float


def _matches(candidate: dict, variant: dict, allowed: dict, entry: Entry) -> tuple:
    """(tensors reproduced, total error) of one variant against the candidate."""
    explained, total = [], 0.0
    for name, tensor in candidate.items():
        if variant[name].shape != tensor.shape:
            continue
        error = _max_abs_diff(tensor, variant[name])
        limit = allowed[name]
        low = entry.switches.compute_dtype
        if low is not None:  # rounding differs between low-precision codes
            limit = max(limit, 8 * torch.finfo(low).eps * max(1.0, float(variant[name].abs().max())))
            if not _representable(tensor, low):
                continue  # a result computed in `low` and cast back holds only values `low` can hold
        if error <= limit:
            explained.append(name)
        total += error
    return explained, total


def _representable(tensor: torch.Tensor, dtype: torch.dtype) -> bool:
    """Whether every value survives a round trip through `dtype` unchanged.

    Why: near small values, bfloat16's rounding is as large as many a real bug's error, so closeness
    alone would blame "low precision" for a wrong equation. What computing in bfloat16 always
    leaves behind is results that *are* bfloat16 numbers.
    """
    return bool(torch.equal(tensor.to(dtype).to(tensor.dtype), tensor))


def diagnose(inputs, candidate: dict, allowed: dict, failing: list) -> list:
    """Catalogue entries that reproduce the candidate, full explanations first, best first.

    `candidate` holds the candidate's tensors, `allowed` the tolerance per tensor, `failing` the
    names of the tensors that failed. An entry is kept when it reproduces at least one failing
    tensor without breaking one that passed.
    """
    spec = inputs.spec
    found: dict = {}
    for entry in CATALOGUE:
        if not entry.applies(spec):
            continue
        if entry.switches.compute_dtype is not None and torch.finfo(entry.switches.compute_dtype).eps <= torch.finfo(inputs.dtype).eps:
            continue
        try:
            variant = named_tensors(variant_forward(inputs, entry.switches), spec)
        except (RuntimeError, ValueError, IndexError):
            continue  # this mistake cannot even run on this configuration
        explained, total = _matches(candidate, variant, allowed, entry)
        reproduced = [name for name in failing if name in explained]
        if not reproduced or any(name not in explained for name in candidate if name not in failing):
            continue
        explanation = Explanation(entry.id, entry.sentence(spec), reproduced, len(reproduced) == len(failing), total)
        best = found.get(entry.id)
        if best is None or (explanation.full, -explanation.error) > (best.full, -best.error):
            found[entry.id] = explanation
    explanations = sorted(found.values(), key=lambda e: (not e.full, -len(e.tensors), e.error))
    if any(e.full and e.id != "low_precision" for e in explanations):
        # Rounding in bfloat16 is coarse enough to "match" many a tiny wrong result: only name it
        # when nothing exact does.
        explanations = [e for e in explanations if e.id != "low_precision"]
    return explanations


def describe(explanations: list, failing: list) -> list:
    """Lines for the failure message."""
    if not explanations:
        return ["  likely cause: none of the known mistakes reproduces this result; start from the first divergence"]
    lines = []
    for e in explanations[:3]:
        scope = "" if e.full else f" (explains {', '.join(e.tensors)} only)"
        lines.append(f"  likely cause [{e.id}]{scope}: {e.sentence}")
    return lines


def explain_shape(inputs, got: dict, expected_shapes: dict) -> Optional[str]:
    """The catalogue id for a result whose shape is a known mistake (h_n batch-first), if any."""
    for name in ("h_n", "c_n"):
        if name in got and len(expected_shapes[name]) == 3:
            want = expected_shapes[name]
            if tuple(got[name]) == (want[1], want[0], want[2]):
                return "hn_batch_first"
    return None
