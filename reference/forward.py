"""The canonical entry point, ``forward(input, hx, params, config)``: torch.nn's interface, unwrapped.

Everything torch.nn's ``forward`` accepts is translated here into the one form the layers work
on, a batched, time-major (time, batch, features) tensor with explicit initial states, and the
results are translated back:

* ``batch_first=True``: (batch, time, features) in and out; the states are never batch-first.
* unbatched 2-D input (time, features) with 2-D states: a batch of one, squeezed again after.
* ``hx=None``: zero initial states, of the input's dtype and device.
* a `PackedSequence`: see ``packed.py``.

`config` is anything with torch.nn's constructor arguments as attributes (``mode`` 'rnn', 'lstm'
or 'gru', ``hidden_size``, ``num_layers``, ``bias``, ``batch_first``, ``dropout``,
``bidirectional``, ``proj_size``, ``nonlinearity``): the drop-in modules of ``modules.py`` pass
themselves.
"""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from .cells import Cell, cell_for
from .direction import run_direction
from .packed import pack_like, unpack
from .stack import layer_weights, run_layers

Hidden = Union[Tensor, "tuple[Tensor, Tensor]"]


def forward(
    input: Union[Tensor, PackedSequence],
    hx: Optional[Hidden],
    params: dict,
    config,
    *,
    training: bool = False,
    generator: Optional[torch.Generator] = None,
    cell: Optional[Cell] = None,
    direction_runner: Callable = run_direction,
    weights_of: Callable = layer_weights,
) -> tuple[Union[Tensor, PackedSequence], Hidden]:
    """Compute what torch.nn.RNN / LSTM / GRU configured as `config` and holding `params` computes.

    `params` maps torch.nn's parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...) to
    tensors; `hx` is h0 (RNN, GRU), (h0, c0) (LSTM) or None. Returns ``(output, h_n)`` or
    ``(output, (h_n, c_n))``. `training` enables inter-layer dropout, drawn from `generator`.

    Hooks, for code that runs *other* recurrences through this one (the conformance suite runs
    cells torch.nn lacks, and known mistakes, this way): `cell` replaces the mode's cell,
    `direction_runner` the time loop of ``direction.py``, `weights_of` the way ``stack.py`` picks
    a layer's weights.
    """
    cell = cell or cell_for(config.mode, config.nonlinearity)
    run = dict(cell=cell, training=training, generator=generator, direction_runner=direction_runner,
               weights_of=weights_of)
    if isinstance(input, PackedSequence):
        padded, lengths = unpack(input)
        states = _initial_states(hx, config, cell, padded, batched=True)
        output, final = run_layers(padded, states, params, config, lengths=lengths.to(padded.device), **run)
        return pack_like(output, input), _as_hidden(final)

    if input.dim() not in (2, 3):
        raise ValueError(f"{config.mode.upper()}: Expected input to be 2D or 3D, got {input.dim()}D instead")
    batched = input.dim() == 3
    if not batched:
        x = input.unsqueeze(1)
    elif config.batch_first:
        x = input.transpose(0, 1)
    else:
        x = input
    states = _initial_states(hx, config, cell, x, batched)
    output, final = run_layers(x, states, params, config, **run)
    if not batched:
        output = output.squeeze(1)
        final = tuple(state.squeeze(1) for state in final)
    elif config.batch_first:
        output = output.transpose(0, 1)
    return output, _as_hidden(final)


def _initial_states(hx: Optional[Hidden], config, cell: Cell, x: Tensor, batched: bool) -> tuple:
    """h0 (and c0) as a tuple of (layers * directions, batch, ·) tensors; zeros when hx is None."""
    if hx is None:
        stacked = config.num_layers * (2 if config.bidirectional else 1)
        widths = (config.proj_size or config.hidden_size, config.hidden_size)[: cell.states]
        return tuple(torch.zeros(stacked, x.shape[1], width, dtype=x.dtype, device=x.device) for width in widths)
    states = tuple(hx) if cell.states == 2 else (hx,)
    return states if batched else tuple(state.unsqueeze(1) for state in states)


def _as_hidden(final: tuple) -> Hidden:
    return final if len(final) == 2 else final[0]
