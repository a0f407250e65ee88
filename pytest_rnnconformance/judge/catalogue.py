"""The reference with known mistakes switched on: what a buggy implementation would have computed.

Each switch of `Switches` reproduces one mistake of the diagnosis catalogue (DESIGN.md). The
diagnoser runs the reference with one switch at a time on a failing input and keeps the switches
whose result matches the candidate's. It reuses the reference's cells and packing code; only the
stacking and time loop are written again here, with the switches in them, because the mistakes
live there (where the state is carried, which step h_n is read from, how directions are indexed).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from .reference.cells import Cell, LayerWeights, cell_for
from .reference.direction import reverse_in_time
from .reference.packed import pack_like, unpack
from .reference.stack import layer_weights


@dataclass(frozen=True)
class Switches:
    """One or more known mistakes; all False/None is the reference itself."""

    gate_order: Optional[tuple] = None  # the candidate reads torch's block k as its gate_order[k]-th
    bias_ih_scale: float = 1.0  # 0: missing, 2: added twice
    bias_hh_scale: float = 1.0
    weights_reshaped: bool = False  # W.reshape(in, gates) used where W.T belongs
    nonlinearity_swapped: bool = False  # tanh for relu, relu for tanh
    gru_reset_before_matmul: bool = False  # W_hn (r ⊙ h) instead of r ⊙ (W_hn h + b_hn)
    gru_update_swapped: bool = False  # h' = z ⊙ n + (1 - z) ⊙ h
    proj_on_cell: bool = False  # h' = tanh((o ⊙ c) W_hrᵀ)
    proj_truncated: bool = False  # h' = (o ⊙ tanh c)[:, :proj]: W_hr ignored
    state_not_carried: bool = False  # every step starts from h0 (and c0)
    time_shift: bool = False  # output[t] is the state before step t
    reverse_hn_last_step: bool = False  # reverse h_n read at the last time step
    reverse_output_not_flipped: bool = False  # reverse outputs left in reverse time order
    state_direction_major: bool = False  # h0/h_n indexed direction * layers + layer
    hn_batch_first: bool = False  # h_n (and c_n) as (batch, layers * directions, ·)
    batch_first_by_reshape: bool = False  # (batch, time) turned into (time, batch) by reshape
    compute_dtype: Optional[torch.dtype] = None  # computes in a lower precision, casts back
    padding_run: bool = False  # packed input unpacked and run over the padding, lengths ignored


def permute_gates(weight: Tensor, order: tuple, gates: int) -> Tensor:
    """The weight a candidate effectively uses when it reads torch's gate blocks in `order`."""
    blocks = weight.chunk(gates, dim=0)
    return torch.cat([blocks[k] for k in order], dim=0)


def _transformed_params(params: dict, spec, switches: Switches) -> dict:
    out = {}
    for name, value in params.items():
        kind = name.split("_l")[0]
        if switches.gate_order is not None and kind != "weight_hr":
            value = permute_gates(value, switches.gate_order, spec.gate_count)
        if kind == "bias_ih":
            value = value * switches.bias_ih_scale
        if kind == "bias_hh":
            value = value * switches.bias_hh_scale
        if switches.weights_reshaped and kind in ("weight_ih", "weight_hh"):
            value = value.reshape(value.shape[1], value.shape[0]).T
        out[name] = value
    return out


def _step(spec, switches: Switches):
    """The cell's step, with the switches that change the equations."""
    base = cell_for(spec.mode, spec.nonlinearity)
    if spec.mode == "rnn" and switches.nonlinearity_swapped:
        return cell_for("rnn", "tanh" if spec.nonlinearity == "relu" else "relu")
    if spec.mode == "gru" and (switches.gru_reset_before_matmul or switches.gru_update_swapped):
        return Cell(base.project_input, _gru_variant_step(switches))
    if spec.num_states == 2 and (switches.proj_on_cell or switches.proj_truncated):
        return Cell(base.project_input, _lstm_projection_variant_step(switches))
    return base


def _gru_variant_step(switches: Switches):
    def step(gi: Tensor, state: tuple, w: LayerWeights):
        (h,) = state
        gi_r, gi_z, gi_n = gi.chunk(3, -1)
        w_r, w_z, w_n = w.weight_hh.chunk(3, 0)
        b_r, b_z, b_n = w.bias_hh.chunk(3, 0) if w.bias_hh is not None else (0, 0, 0)
        r = torch.sigmoid(gi_r + h @ w_r.T + b_r)
        z = torch.sigmoid(gi_z + h @ w_z.T + b_z)
        if switches.gru_reset_before_matmul:
            n = torch.tanh(gi_n + (r * h) @ w_n.T + b_n)
        else:
            n = torch.tanh(gi_n + r * (h @ w_n.T + b_n))
        h = z * n + (1 - z) * h if switches.gru_update_swapped else (1 - z) * n + z * h
        return h, (h,)

    return step


def _lstm_projection_variant_step(switches: Switches):
    def step(gi: Tensor, state: tuple, w: LayerWeights):
        h, c = state
        i, f, g, o = torch.addmm(gi, h, w.weight_hh.T).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        if w.weight_hr is None:
            h = o.sigmoid() * c.tanh()
        elif switches.proj_on_cell:
            h = torch.tanh((o.sigmoid() * c) @ w.weight_hr.T)
        else:
            h = (o.sigmoid() * c.tanh())[..., : w.weight_hr.shape[0]]
        return h, (h, c)

    return step


def _run_direction(x: Tensor, state: tuple, weights: LayerWeights, cell: Cell, reverse: bool,
                   lengths: Optional[Tensor], switches: Switches) -> tuple:
    if reverse:
        x = reverse_in_time(x, lengths)
    projected = cell.project_input(x, weights)
    initial, outputs = state, []
    for t in range(x.shape[0]):
        previous = initial if switches.state_not_carried else state
        output, new_state = cell.step(projected[t], previous, weights)
        if lengths is not None:
            active = (t < lengths).unsqueeze(-1)
            output = torch.where(active, output, torch.zeros_like(output))
            new_state = tuple(torch.where(active, n, o) for n, o in zip(new_state, state))
        outputs.append(state[0] if switches.time_shift else output)
        state = new_state
    stacked = torch.stack(outputs)
    if reverse and not switches.reverse_output_not_flipped:
        stacked = reverse_in_time(stacked, lengths)
    if reverse and switches.reverse_hn_last_step:
        state = (stacked[-1],) + tuple(state[1:])
    return stacked, state


def variant_forward(inputs, switches: Switches):
    """What an implementation with these mistakes returns for `inputs` (computed in float64)."""
    exact = inputs.to(dtype=torch.float64, device="cpu")
    if switches.compute_dtype is not None:
        exact = exact.to(dtype=switches.compute_dtype)
    spec = exact.spec
    params = _transformed_params(exact.params, spec, switches)
    cell = _step(spec, switches)
    lengths = None
    if isinstance(exact.input, PackedSequence):
        x, lengths = unpack(exact.input)
        lengths = None if switches.padding_run else lengths
        batched = True
    else:
        batched = exact.input.dim() == 3
        x = exact.input if batched else exact.input.unsqueeze(1)
        if batched and spec.batch_first:
            x = x.reshape(x.shape[1], x.shape[0], -1) if switches.batch_first_by_reshape else x.transpose(0, 1)
    batch = x.shape[1]
    if exact.hx is None:
        states = tuple(torch.zeros(shape, dtype=x.dtype) for shape in spec.state_shapes(batch))
    else:
        states = tuple(exact.hx) if spec.num_states == 2 else (exact.hx,)
        states = states if batched else tuple(s.unsqueeze(1) for s in states)
    directions, layers = spec.num_directions, spec.num_layers

    def index(layer: int, direction: int) -> int:
        return direction * layers + layer if switches.state_direction_major else layer * directions + direction

    finals: dict = {}
    layer_input = x
    for layer in range(layers):
        outputs = []
        for direction in range(directions):
            i = index(layer, direction)
            out, final = _run_direction(layer_input, tuple(s[i] for s in states),
                                        layer_weights(params, spec, layer, direction), cell,
                                        direction == 1, lengths, switches)
            outputs.append(out)
            finals[i] = final
        layer_input = torch.cat(outputs, dim=-1)
    final = tuple(torch.stack([finals[i][k] for i in range(layers * directions)]) for k in range(len(states)))
    output = layer_input
    if isinstance(exact.input, PackedSequence):
        output = pack_like(output, exact.input)
    elif not batched:
        output, final = output.squeeze(1), tuple(s.squeeze(1) for s in final)
    elif spec.batch_first:
        output = output.reshape(batch, -1, output.shape[-1]) if switches.batch_first_by_reshape else output.transpose(0, 1)
    if switches.hn_batch_first and batched:
        final = tuple(s.transpose(0, 1) for s in final)
    if switches.compute_dtype is not None:
        cast = (lambda t: t.to(torch.float64))
        output = PackedSequence(cast(output.data), output.batch_sizes, output.sorted_indices,
                                output.unsorted_indices) if isinstance(output, PackedSequence) else cast(output)
        final = tuple(cast(s) for s in final)
    return output, (final if spec.num_states == 2 else final[0])
