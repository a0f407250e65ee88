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

from typing import Optional

import torch
from torch import Tensor

from .cells import LayerWeights, cell_for
from .direction import run_direction


def layer_weights(params: dict, spec, layer: int, direction: int) -> LayerWeights:
    """Pick one (layer, direction)'s weights out of torch.nn's named parameters."""
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    return LayerWeights(
        weight_ih=params["weight_ih" + suffix],
        weight_hh=params["weight_hh" + suffix],
        bias_ih=params["bias_ih" + suffix] if spec.bias else None,
        bias_hh=params["bias_hh" + suffix] if spec.bias else None,
        weight_hr=params["weight_hr" + suffix] if spec.proj_size > 0 else None,
        extra={name: params[name + suffix] for name in spec.extra_weight_shapes()} or None,
    )


def run_layers(
    x: Tensor,
    initial_states: tuple,
    params: dict,
    spec,
    *,
    lengths: Optional[Tensor] = None,
    training: bool = False,
    generator: Optional[torch.Generator] = None,
) -> tuple[Tensor, tuple]:
    """Run every layer and direction over a (time, batch, features) input.

    `initial_states` is ``(h0,)`` or ``(h0, c0)``, each ``(num_layers * num_directions, batch, ·)``.
    Returns the top layer's output and the final states, stacked the same way.
    """
    cell = cell_for(spec.mode, spec.nonlinearity)
    final_states = []
    layer_input = x
    for layer in range(spec.num_layers):
        direction_outputs = []
        for direction in range(spec.num_directions):
            index = layer * spec.num_directions + direction
            output, final = run_direction(
                layer_input,
                tuple(state[index] for state in initial_states),
                layer_weights(params, spec, layer, direction),
                cell,
                reverse=direction == 1,
                lengths=lengths,
            )
            direction_outputs.append(output)
            final_states.append(final)
        layer_input = torch.cat(direction_outputs, dim=-1)
        if training and spec.dropout > 0 and layer < spec.num_layers - 1:
            layer_input = dropout(layer_input, spec.dropout, generator)
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
