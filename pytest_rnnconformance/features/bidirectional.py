"""bidirectional: two directions; and they must join (a relation, no oracle)."""
from dataclasses import replace

import torch

from ..draw.cases import Dimensions
from ..draw.inputs import map_hidden
from .base import Feature, needs


def check(row, inputs) -> None:
    whole = row.values(inputs)
    directions_join(row, inputs, {name: t.clone() for name, t in whole.tensors.items()})  # apart from later calls


def directions_join(row, inputs, whole: dict) -> None:
    """A bidirectional layer equals a forward run joined with a run over the time-reversed input
    (flipped back), each with its own weights and rows of h0. It needs no oracle."""
    spec = inputs.spec
    if not spec.bidirectional or spec.num_layers != 1 or inputs.recipe.lengths is not None:
        return
    if 1 not in row.summary.support.directions:
        return  # it cannot run one direction alone: nothing to join
    one = spec.replace(bidirectional=False)
    time_dim = 1 if spec.batch_first and inputs.recipe.batch is not None else 0
    runs = []
    for direction, suffix in enumerate(("", "_reverse")):
        params = {name.replace("_reverse", ""): value for name, value in inputs.params.items()
                  if name.endswith("_l0" + suffix)}
        hx = map_hidden(lambda t: t[direction:direction + 1], inputs.hx)
        x = inputs.input.flip(time_dim) if direction else inputs.input
        result = {n: t.clone() for n, t in row.result(replace(inputs, spec=one, input=x, hx=hx, params=params)).tensors.items()}
        if direction and "output" in result:
            result = dict(result, output=result["output"].flip(time_dim))
        runs.append(result)
    joined = {name: torch.cat([runs[0][name], runs[1][name]], dim=-1 if name == "output" else 0) for name in whole}
    for name, tensor in whole.items():
        row.relation(inputs, joined[name], tensor, f"the bidirectional {name} differs from a forward run joined with "
                     "a run over the reversed sequence",
                     "the reverse direction must read the input from its last step to its first, with the _reverse "
                     "weights and rows of h0, and its output must be flipped back to input order")


FEATURE = Feature(
    "bidirectional", 80,
    "Two directions: the reverse direction reads the sequence from its last step to its first with the _reverse "
    "weights, its outputs are flipped back so output[t] belongs to input step t, and its h_n is its state after "
    "step 0. Also checked without an oracle: a forward run and a reversed run join into the whole.",
    check, Dimensions(bidirectional=True), owns=("bidirectional",), sequences_only=True,
    requires=needs(lambda s: 2 in s.directions, "bidirectional", "one direction only"))
