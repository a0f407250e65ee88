"""torch.nn's parameters: their names, their shapes, and the order torch registers them in.

An RNN, LSTM or GRU stacks the weights of all its gates in one matrix per layer and direction:
``weight_ih_l{k}`` is ``(gates * hidden_size, layer input)``, ``weight_hh_l{k}`` is
``(gates * hidden_size, hidden_size)`` (or ``proj_size`` for a projected LSTM), the biases are
``(gates * hidden_size,)``, and an LSTM with ``proj_size > 0`` adds ``weight_hr_l{k}`` of shape
``(proj_size, hidden_size)``. The second direction's names end in ``_reverse``. Layer ``k > 0`` reads
the previous layer's output: ``num_directions * (proj_size or hidden_size)`` features.

The single-step cells (``nn.RNNCell``, ``nn.LSTMCell``, ``nn.GRUCell``) have the same four tensors
for their one layer, named without a suffix: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.
"""
from __future__ import annotations

#: Gate blocks stacked in each weight: RNN one, LSTM four (i, f, g, o), GRU three (r, z, n).
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def layer_parameter_shapes(gates: int, layer_input: int, hidden_size: int, *, bias: bool = True,
                           proj_size: int = 0, suffix: str = "") -> dict[str, tuple[int, ...]]:
    """One layer's parameters for one direction: name (with `suffix`) -> shape, in torch's order."""
    output_size = proj_size or hidden_size
    shapes = {"weight_ih" + suffix: (gates * hidden_size, layer_input),
              "weight_hh" + suffix: (gates * hidden_size, output_size)}
    if bias:
        shapes["bias_ih" + suffix] = (gates * hidden_size,)
        shapes["bias_hh" + suffix] = (gates * hidden_size,)
    if proj_size > 0:
        shapes["weight_hr" + suffix] = (proj_size, hidden_size)
    return shapes


def parameter_shapes(mode: str, input_size: int, hidden_size: int, num_layers: int = 1, *, bias: bool = True,
                     bidirectional: bool = False, proj_size: int = 0,
                     gates: int | None = None) -> dict[str, tuple[int, ...]]:
    """Every parameter of an ``nn.RNN``/``LSTM``/``GRU``: name -> shape, in registration order.

    `gates` overrides the mode's gate count (a cell torch.nn does not have).
    """
    gates = gates or GATES[mode]
    directions = 2 if bidirectional else 1
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else directions * (proj_size or hidden_size)
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            shapes.update(layer_parameter_shapes(gates, layer_input, hidden_size, bias=bias,
                                                 proj_size=proj_size, suffix=suffix))
    return shapes
