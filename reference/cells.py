"""One time step of each recurrent cell: the equations, and nothing else.

Notation (torch.nn's): ``x`` is the step's input, ``h`` and ``c`` the previous states, ``W_ih``,
``W_hh``, ``b_ih``, ``b_hh`` the layer's weights, σ the logistic sigmoid, ⊙ the element-wise
product. Weights stack their gate blocks along the first dimension, in torch.nn's order.

Each cell comes in two parts. ``project_input`` computes ``gi = x W_ihᵀ + b_ih`` (plus ``b_hh``
where the equations allow it), which does not depend on the previous state and is therefore done
for every time step at once, in one matrix product, before the time loop (see ``direction.py``).
``step`` is what must wait for the previous step: ``h W_hhᵀ`` and the gate arithmetic::

    step(gi_t, state, weights) -> (output, new_state)

``state`` is a tuple, ``(h,)`` or ``(h, c)``; ``output`` is what the step emits (h).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

State = tuple  # (h,) for RNN and GRU, (h, c) for LSTM


class LayerWeights(NamedTuple):
    """One layer's weights for one direction, named as torch.nn names them (without the suffix)."""

    weight_ih: Tensor  # (gates * hidden, layer input)
    weight_hh: Tensor  # (gates * hidden, hidden or proj)
    bias_ih: Optional[Tensor] = None  # (gates * hidden,)
    bias_hh: Optional[Tensor] = None  # (gates * hidden,)
    weight_hr: Optional[Tensor] = None  # (proj, hidden): LSTM with proj_size > 0


def project_with_both_biases(x: Tensor, weights: LayerWeights) -> Tensor:
    """``x W_ihᵀ + b_ih + b_hh`` for every time step at once (RNN, LSTM).

    In RNN and LSTM the two biases are only ever added together, so both can be added here, once,
    instead of once per step inside the loop.
    """
    bias = weights.bias_ih + weights.bias_hh if weights.bias_ih is not None else None
    return F.linear(x, weights.weight_ih, bias)


def project_with_input_bias(x: Tensor, weights: LayerWeights) -> Tensor:
    """``x W_ihᵀ + b_ih`` for every time step at once (GRU, whose b_hh sits inside ``r ⊙ (...)``)."""
    return F.linear(x, weights.weight_ih, weights.bias_ih)


def rnn_tanh_step(gi: Tensor, state: State, weights: LayerWeights) -> tuple[Tensor, State]:
    """Elman RNN: ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)``. `gi` holds both biases."""
    (h,) = state
    h = torch.addmm(gi, h, weights.weight_hh.T).tanh()
    return h, (h,)


def rnn_relu_step(gi: Tensor, state: State, weights: LayerWeights) -> tuple[Tensor, State]:
    """Elman RNN with ReLU: ``h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)``. `gi` holds both biases."""
    (h,) = state
    h = torch.addmm(gi, h, weights.weight_hh.T).relu()
    return h, (h,)


def lstm_step(gi: Tensor, state: State, weights: LayerWeights) -> tuple[Tensor, State]:
    """LSTM, with an optional projection of h (LSTMP). `gi` holds both biases.

    The gate blocks are stacked in the order **i, f, g, o**::

        i = σ(x W_iiᵀ + b_ii + h W_hiᵀ + b_hi)      input gate
        f = σ(x W_ifᵀ + b_if + h W_hfᵀ + b_hf)      forget gate
        g = tanh(x W_igᵀ + b_ig + h W_hgᵀ + b_hg)   candidate cell
        o = σ(x W_ioᵀ + b_io + h W_hoᵀ + b_ho)      output gate
        c' = f ⊙ c + i ⊙ g
        h' = o ⊙ tanh(c')
        h' = h' W_hrᵀ                               only when proj_size > 0; c' is never projected
    """
    h, c = state
    i, f, g, o = torch.addmm(gi, h, weights.weight_hh.T).chunk(4, dim=-1)
    c = torch.addcmul(f.sigmoid() * c, i.sigmoid(), g.tanh())  # f ⊙ c + i ⊙ g
    h = o.sigmoid() * c.tanh()
    if weights.weight_hr is not None:
        h = h @ weights.weight_hr.T
    return h, (h, c)


def gru_step(gi: Tensor, state: State, weights: LayerWeights) -> tuple[Tensor, State]:
    """GRU, as torch.nn and cuDNN compute it. `gi` holds b_ih only.

    The gate blocks are stacked in the order **r, z, n**::

        r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)             reset gate
        z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)             update gate
        n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))    r scales the product *after* the matmul,
                                                           its bias included
        h' = (1 - z) ⊙ n + z ⊙ h

    (Cho et al. 2014 apply r before the matmul, ``(r ⊙ h) W_hnᵀ``: a different network.)
    """
    (h,) = state
    gh = F.linear(h, weights.weight_hh, weights.bias_hh)  # h W_hhᵀ + b_hh, all three gates
    gi_r, gi_z, gi_n = gi.chunk(3, dim=-1)
    gh_r, gh_z, gh_n = gh.chunk(3, dim=-1)
    r = (gi_r + gh_r).sigmoid()
    z = (gi_z + gh_z).sigmoid()
    n = torch.addcmul(gi_n, r, gh_n).tanh()  # tanh(gi_n + r ⊙ gh_n)
    h = torch.lerp(n, h, z)  # n + z ⊙ (h - n) = (1 - z) ⊙ n + z ⊙ h
    return h, (h,)


class Cell(NamedTuple):
    """A recurrent cell: the part computed for all steps at once, the part done step by step, and
    how many states it carries (1: h, 2: h and c)."""

    project_input: Callable[[Tensor, LayerWeights], Tensor]
    step: Callable[[Tensor, State, LayerWeights], "tuple[Tensor, State]"]
    states: int = 1


RNN_TANH = Cell(project_with_both_biases, rnn_tanh_step)
RNN_RELU = Cell(project_with_both_biases, rnn_relu_step)
LSTM = Cell(project_with_both_biases, lstm_step, states=2)
GRU = Cell(project_with_input_bias, gru_step)


def cell_for(mode: str, nonlinearity: str = "tanh") -> Cell:
    """The cell of torch.nn's mode 'rnn' (tanh or relu), 'lstm' or 'gru'."""
    if mode == "lstm":
        return LSTM
    if mode == "gru":
        return GRU
    if mode == "rnn":
        return RNN_RELU if nonlinearity == "relu" else RNN_TANH
    raise ValueError(f"no reference cell for mode {mode!r}: expected 'rnn', 'lstm' or 'gru' (or pass cell=)")
