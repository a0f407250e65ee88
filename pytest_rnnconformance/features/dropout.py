"""dropout: dropout > 0 acts only in training, between layers."""
import torch

from ..draw.cases import Dimensions
from ..draw.inputs import make_inputs
from ..judge.status import Kind
from .base import Feature


def check(row, inputs) -> None:
    if inputs.recipe.train:
        row.values(inputs, context=f"train=True, dropout={inputs.spec.dropout}: the upper layers read zeros")
        return
    without = make_inputs(inputs.spec.replace(dropout=0.0), inputs.recipe, dtype=inputs.dtype, device=inputs.device)
    plain, dropped = row.result(without).tensors, row.result(inputs)
    for name, tensor in dropped.tensors.items():
        if name in plain and not torch.equal(torch.nan_to_num(tensor), torch.nan_to_num(plain[name])):
            row.judge(inputs, dropped, context=f"train=False, dropout={inputs.spec.dropout}: dropout must not act "
                      "outside training, so the result must equal dropout=0's exactly")
            row.fail(Kind.RELATION, f"with train=False the {name} for dropout={inputs.spec.dropout} differs from the "
                     "same call with dropout=0: dropout must only act in training")


def _requires(summary, mode: str):
    support = summary.support
    if not support.dropout:
        return support.reason("dropout", "it takes no dropout")
    if support.max_layers == 1:
        return "one layer only: dropout acts between layers (torch.nn warns and ignores it)"
    return None


FEATURE = Feature(
    "dropout", 200,
    "dropout > 0 between two or three layers. With train=False (evaluation) the result must equal dropout=0's "
    "exactly; with train=True and p = 1 every upper layer reads zeros, which torch.nn computes deterministically. "
    "Skipped for one layer, where torch.nn warns that dropout does nothing.",
    check, Dimensions(layers=(2, 3), dropout="draw", train="draw"), owns=("dropout", "train"), sequences_only=True,
    builds_on=("multilayer",), requires=_requires)
