"""The canonical entry point, ``forward(input, hx, params, spec)``: torch.nn's interface, unwrapped.

Everything torch.nn's ``forward`` accepts is translated here into the one form the layers work
on, a batched, time-major (time, batch, features) tensor with explicit initial states, and the
results are translated back:

* ``batch_first=True``: (batch, time, features) in and out; the states are never batch-first.
* unbatched 2-D input (time, features) with 2-D states: a batch of one, squeezed again after.
* ``hx=None``: zero initial states, of the input's dtype and device.
* a `PackedSequence`: see ``packed.py``.
"""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from .packed import pack_like, unpack
from .stack import run_layers

Hidden = Union[Tensor, "tuple[Tensor, Tensor]"]


def forward(
    input: Union[Tensor, PackedSequence],
    hx: Optional[Hidden],
    params: dict,
    spec,
    *,
    training: bool = False,
    generator: Optional[torch.Generator] = None,
) -> tuple[Union[Tensor, PackedSequence], Hidden]:
    """Compute what torch.nn.RNN / LSTM / GRU built from `spec` and holding `params` computes.

    `params` maps torch.nn's parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...) to
    tensors; `hx` is h0 (RNN, GRU), (h0, c0) (LSTM) or None. Returns ``(output, h_n)`` or
    ``(output, (h_n, c_n))``. `training` enables inter-layer dropout, drawn from `generator`.
    """
    if isinstance(input, PackedSequence):
        padded, lengths = unpack(input)
        states = _initial_states(hx, spec, padded, batched=True)
        output, final = run_layers(
            padded, states, params, spec,
            lengths=lengths.to(padded.device), training=training, generator=generator,
        )
        return pack_like(output, input), _as_hidden(final, spec)

    if input.dim() not in (2, 3):
        raise ValueError(f"{spec.mode.upper()}: Expected input to be 2D or 3D, got {input.dim()}D instead")
    batched = input.dim() == 3
    if not batched:
        x = input.unsqueeze(1)
    elif spec.batch_first:
        x = input.transpose(0, 1)
    else:
        x = input
    states = _initial_states(hx, spec, x, batched)
    output, final = run_layers(x, states, params, spec, training=training, generator=generator)
    if not batched:
        output = output.squeeze(1)
        final = tuple(state.squeeze(1) for state in final)
    elif spec.batch_first:
        output = output.transpose(0, 1)
    return output, _as_hidden(final, spec)


def _initial_states(hx: Optional[Hidden], spec, x: Tensor, batched: bool) -> tuple:
    """h0 (and c0) as a tuple of (layers * directions, batch, ·) tensors; zeros when hx is None."""
    if hx is None:
        batch = x.shape[1]
        return tuple(
            torch.zeros(shape, dtype=x.dtype, device=x.device) for shape in spec.state_shapes(batch)
        )
    states = tuple(hx) if spec.num_states == 2 else (hx,)
    return states if batched else tuple(state.unsqueeze(1) for state in states)


def _as_hidden(final: tuple, spec) -> Hidden:
    return final if spec.num_states == 2 else final[0]
