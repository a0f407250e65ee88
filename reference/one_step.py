"""One step of a cell alone: what ``nn.RNNCell``, ``nn.LSTMCell`` and ``nn.GRUCell`` compute.

A cell module is one time step of a one-layer network, with the same equations (``cells.py``) and
the same four weights, named without a layer suffix: ``weight_ih``, ``weight_hh``, ``bias_ih``,
``bias_hh``. It takes ``input`` of shape (batch, input_size), or (input_size,) unbatched, and the
previous state (``h``, or ``(h, c)`` for the LSTM cell; zeros when None), and returns the next one.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .cells import Cell, LayerWeights, cell_for
from .forward import Hidden


def cell_step(input: Tensor, hx: Optional[Hidden], params: dict, mode: str, nonlinearity: str = "tanh",
              *, cell: Optional[Cell] = None) -> Hidden:
    """``h'`` (mode 'rnn' or 'gru') or ``(h', c')`` ('lstm') after one step from `hx`."""
    cell = cell or cell_for(mode, nonlinearity)
    batched = input.dim() == 2
    x = input if batched else input.unsqueeze(0)
    if hx is None:
        hidden = params["weight_hh"].shape[1]
        state = tuple(torch.zeros(x.shape[0], hidden, dtype=x.dtype, device=x.device) for _ in range(cell.states))
    else:
        state = tuple(hx) if cell.states == 2 else (hx,)
        state = state if batched else tuple(s.unsqueeze(0) for s in state)
    weights = LayerWeights(params["weight_ih"], params["weight_hh"], params.get("bias_ih"), params.get("bias_hh"))
    _, state = cell.step(cell.project_input(x, weights), state, weights)
    if not batched:
        state = tuple(s.squeeze(0) for s in state)
    return state if cell.states == 2 else state[0]
