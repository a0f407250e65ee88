"""layout: batch_first=True and batch_first=False, both checked on every example."""
from ..draw.inputs import make_inputs
from .base import Feature, needs


def check(row, inputs) -> None:
    for batch_first in (False, True):
        spec = inputs.spec.replace(batch_first=batch_first)
        row.values(make_inputs(spec, inputs.recipe, dtype=inputs.dtype, device=inputs.device),
                   context=f"batch_first={batch_first}")


FEATURE = Feature(
    "layout", 20,
    "batch_first=True and batch_first=False: every example is checked in both layouts (input and output "
    "(batch, time, features) or (time, batch, features); the states are never batch-first). Passes only when "
    "both were checked.",
    check, owns=("batch_first",), sequences_only=True,
    requires=needs(lambda s: len(s.layouts) == 2, "layout", "only one layout"))
