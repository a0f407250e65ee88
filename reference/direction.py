"""Running one cell over time, in one direction.

The input projection ``x_t W_ihᵀ + b_ih`` does not depend on the recurrence, so it is computed for
all time steps in a single matrix product before the loop; the loop only does what must wait for
the previous step. This is the main reason the reference is about as fast as torch.nn on the CPU.

The reverse direction of a bidirectional layer is the same loop run on the time-reversed
sequence, with its outputs reversed back, so that ``output[t]`` of either direction belongs to
input step ``t``. With variable lengths (packed sequences), "reversed" means reversed *within each
sequence's own length*: the reverse direction of a sequence of length 3 in a batch padded to 5
starts at its step 2, not at the padding.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .cells import Cell, LayerWeights, State


def run_direction(
    x: Tensor,
    state: State,
    weights: LayerWeights,
    cell: Cell,
    *,
    reverse: bool = False,
    lengths: Optional[Tensor] = None,
) -> tuple[Tensor, State]:
    """Run `cell` over a (time, batch, features) sequence; return (outputs, final state).

    `lengths` (one per batch row, on x's device) marks padded steps: a row stops updating its state
    after its own length, and its padded outputs are zero, as in torch.nn's padded packed output.
    """
    if reverse:
        x = reverse_in_time(x, lengths)
    projected = cell.project_input(x, weights)  # every step's input projection, one matrix product
    outputs = []
    for t, projected_t in enumerate(projected):  # iterating a tensor walks its first dimension: time
        output, new_state = cell.step(projected_t, state, weights)
        if lengths is not None:
            active = (t < lengths).unsqueeze(-1)  # rows whose sequence is still running
            output = torch.where(active, output, torch.zeros_like(output))
            new_state = tuple(torch.where(active, new, old) for new, old in zip(new_state, state))
        outputs.append(output)
        state = new_state
    stacked = torch.stack(outputs)
    if reverse:
        stacked = reverse_in_time(stacked, lengths)
    return stacked, state


def reverse_in_time(x: Tensor, lengths: Optional[Tensor] = None) -> Tensor:
    """Reverse a (time, batch, ...) tensor along time, within each row's length when given.

    Padded steps (t >= length) stay where they are, so reversing twice gives back the input.
    """
    if lengths is None:
        return x.flip(0)
    steps = torch.arange(x.shape[0], device=x.device).unsqueeze(1)  # (time, 1)
    source = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (time, batch)
    index = source.reshape(source.shape + (1,) * (x.dim() - 2)).expand_as(x)
    return x.gather(0, index)
