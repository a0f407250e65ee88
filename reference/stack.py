"""Stacking layers and directions.

A multi-layer network is a chain of one-layer networks: layer k reads the output of layer k-1.
A bidirectional layer runs two independent directions over the same input and joins their
outputs feature-wise, ``[forward | reverse]``, so layer k > 0 reads ``num_directions * hidden``
features. Initial and final states are stacked along their first dimension *layer-major*: the state
of (layer, direction) lives at index ``layer * num_directions + direction``.

In training mode with ``dropout > 0``, the output of every layer but the last is passed through
dropout before the next layer reads it. The final states are taken before dropout.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor

from .cells import Cell, LayerWeights
from .direction import run_direction


def layer_weights(params: dict, config, layer: int, direction: int) -> LayerWeights:
    """Pick one (layer, direction)'s weights out of torch.nn's named parameters."""
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    return LayerWeights(
        weight_ih=params["weight_ih" + suffix],
        weight_hh=params["weight_hh" + suffix],
        bias_ih=params["bias_ih" + suffix] if config.bias else None,
        bias_hh=params["bias_hh" + suffix] if config.bias else None,
        weight_hr=params["weight_hr" + suffix] if config.proj_size > 0 else None,
    )


def run_layers(
    x: Tensor,
    initial_states: tuple,
    params: dict,
    config,
    cell: Cell,
    *,
    lengths: Optional[Tensor] = None,
    training: bool = False,
    generator: Optional[torch.Generator] = None,
    direction_runner: Callable = run_direction,
    weights_of: Callable = layer_weights,
) -> tuple[Tensor, tuple]:
    """Run every layer and direction over a (time, batch, features) input.

    `initial_states` is ``(h0,)`` or ``(h0, c0)``, each ``(num_layers * num_directions, batch, ·)``.
    Returns the top layer's output and the final states, stacked the same way. `direction_runner`
    and `weights_of` default to this package's own functions (see ``forward``'s note on hooks).
    """
    directions = 2 if config.bidirectional else 1
    final_states = []
    layer_input = x
    for layer in range(config.num_layers):
        direction_outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            output, final = direction_runner(
                layer_input,
                tuple(state[index] for state in initial_states),
                weights_of(params, config, layer, direction),
                cell,
                reverse=direction == 1,
                lengths=lengths,
            )
            direction_outputs.append(output)
            final_states.append(final)
        layer_input = torch.cat(direction_outputs, dim=-1)
        if training and config.dropout > 0 and layer < config.num_layers - 1:
            layer_input = dropout(layer_input, config.dropout, generator)
    return layer_input, tuple(torch.stack(states) for states in zip(*final_states))


def dropout(x: Tensor, p: float, generator: Optional[torch.Generator] = None) -> Tensor:
    """Inverted dropout with an explicit generator, drawing its mask as torch.nn's RNNs do on the CPU.

    Each element is kept with probability 1 - p and scaled by 1 / (1 - p); the mask is drawn afresh
    for every element, time step included. With the default generator seeded as torch's was, the
    mask is the one torch.nn drew, which is what makes training-mode runs comparable.
    """
    if p == 1:
        return x * torch.zeros((), dtype=x.dtype, device=x.device)
    keep = torch.empty_like(x).bernoulli_(1 - p, generator=generator)
    return x * keep.div_(1 - p)
