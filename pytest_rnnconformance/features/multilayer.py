"""multilayer: two or three stacked layers; and the layers must stack (a relation, no oracle)."""
from dataclasses import replace

from ..draw.cases import Dimensions
from ..draw.inputs import map_hidden
from .base import Feature, needs


def check(row, inputs) -> None:
    whole = row.values(inputs)
    if "output" in whole.tensors:  # each layer reads the previous one's output: without it, nothing stacks
        layers_stack(row, inputs, whole.tensors["output"].clone())  # kept apart from the calls that follow


def layers_stack(row, inputs, whole_output) -> None:
    """A multi-layer run equals one-layer runs stacked by hand, each layer reading the previous
    layer's output and starting from its own rows of h0. It needs no oracle, so it holds a
    registered cell to the same rule. Asked only of an implementation that returns its output."""
    spec = inputs.spec
    if spec.num_layers < 2 or inputs.recipe.lengths is not None or inputs.recipe.batch is None:
        return
    layer_input, directions = inputs.input, spec.num_directions
    for layer in range(spec.num_layers):
        one = spec.replace(num_layers=1, input_size=layer_input.shape[-1], dropout=0.0)
        rows = slice(layer * directions, (layer + 1) * directions)
        params = {name.replace(f"_l{layer}", "_l0"): value for name, value in inputs.params.items()
                  if name.split("_l")[-1].split("_")[0] == str(layer)}
        piece = replace(inputs, spec=one, input=layer_input, hx=map_hidden(lambda t: t[rows], inputs.hx), params=params)
        layer_input = row.result(piece).tensors["output"].to(inputs.dtype).clone()  # its own dtype is dtype's row
    row.relation(inputs, layer_input, whole_output, f"one call with {spec.num_layers} layers differs from the same "
                 "layers run one at a time: the layers do not stack",
                 "each layer must read the previous layer's whole output (both directions) and start from its own "
                 "rows of h0", slack=spec.num_layers)


FEATURE = Feature(
    "multilayer", 70,
    "Two or three stacked layers: each layer reads the previous layer's whole output, and h0/h_n stack the "
    "layers' states layer-major. Also checked without an oracle: the same layers run one at a time join into "
    "the whole run.",
    check, Dimensions(layers=(2, 3)), owns=("layers",), sequences_only=True,
    requires=needs(lambda s: s.max_layers is None or s.max_layers >= 2, "multilayer", "one layer only"))
