"""shape: the results have exactly torch.nn's shapes, in every configuration it takes."""
from ..draw.cases import single_changes
from ..draw.inputs import make_inputs
from ..judge.judge import shapes_explained
from ..judge.status import Kind
from .base import Feature


def check(row, inputs) -> None:
    """The case, and the case with each supported dimension changed alone: a result right in its
    numbers but off in a dimension of size 1 fails here, wherever it happens."""
    support = row.summary.support
    for what, spec, recipe in single_changes(inputs.spec, inputs.recipe, support):
        changed = make_inputs(spec, recipe, dtype=inputs.dtype, device=inputs.device)
        call = row.call(changed)
        if call.problem is not None and what != "as drawn":
            continue  # a crash there is the row of that dimension's to report, not this one's
        result = row.settled(call)
        if result.shape_mismatches:
            _fail(row, changed, result, what)


def _fail(row, inputs, result, what: str) -> None:
    lines, explanations = shapes_explained(result.shape_mismatches, inputs.spec)
    row.fail(Kind.SHAPE, f"returned {', '.join(result.shape_mismatches)} with torch.nn's numbers in another shape",
             context=f"{what}: {inputs.spec.describe()}; {inputs.recipe.describe()}",
             details=lines + ("the other rows judged the values after reshaping; only this row fails it",),
             explanations=explanations)


FEATURE = Feature(
    "shape", 170,
    "The results have exactly torch.nn's shapes: every example is checked as drawn and with each dimension the "
    "implementation supports changed alone (layout, unbatched, hx omitted, no bias, layers, directions, projection, "
    "packed, one step, a batch of one, hidden size 1). A result right in its numbers but off in a dimension of "
    "size 1 (h_n as (batch, hidden) for one layer) fails here only: the other rows judge its values. A shape "
    "wrong in its numbers fails the row whose configuration it is.",
    check, judges_values=False, example_share=0.4)
