"""backward: gradients of input, states and every weight, against torch.nn's autograd."""
from ..judge.compare import measure
from ..judge.gradients import oracle_gradients, upstream_weights
from ..judge.judge import coarser
from ..judge.status import Kind
from ..run.results import expected_shapes
from .base import Feature, needs


def untaken(support) -> set:
    """Gradients of inputs its signature cannot take: an LSTM without a c0 parameter starts from
    c0 = 0, so no gradient can reach c0 and none is asked."""
    return set() if support.cell_state_given else {"grad hx (c0)"}


def check(row, inputs) -> None:
    upstream = upstream_weights(expected_shapes(inputs), inputs.recipe.seed)
    call = row.call(inputs, upstream=upstream)
    result = row.settled(call)
    if not any(name.startswith("grad ") for name in call.gradients or {}):  # taken where it ran: {} without a graph
        row.fail(Kind.GRADIENTS, "its results carry no grad_fn although it raised no NotImplementedError: no gradient "
                 "can flow through it", details=("computed under torch.no_grad(), detached (.detach(), .data, .item()) "
                                                 "or passed through numpy? raise NotImplementedError if it is not meant "
                                                 "to be differentiable",))
    names = list(result.tensors)
    oracles = oracle_gradients(inputs, {n: upstream[n] for n in names}, names)
    gradients = {name: value for name, value in call.gradients.items() if name.startswith("grad ")
                 and name not in untaken(row.summary.support)}
    precision = inputs.dtype
    for dtype in result.dtypes.values():
        precision = coarser(precision, dtype)
    errors = measure(gradients, oracles, row.tolerance_of(precision))
    failing = [e for e in errors if not e.ok]
    if failing:
        row.fail(Kind.GRADIENTS, f"{', '.join(e.name for e in failing)} differ{'s' if len(failing) == 1 else ''} "
                 "from torch.nn's autograd", tensors=tuple(errors))
    verdict = call.gradients.get("gradcheck", "")
    if verdict.startswith("failed"):
        row.fail(Kind.GRADIENTS, f"torch.autograd.gradcheck of its custom backward {verdict}")


FEATURE = Feature(
    "backward", 110,
    "Gradients of a randomly weighted sum of every result (a plain sum would hide swapped units or steps) with "
    "respect to the input, h0, c0 and every weight, against torch.nn's autograd and the float64 reference; a "
    "custom autograd.Function is also run through torch.autograd.gradcheck in float64. Results with no grad_fn "
    "fail (only NotImplementedError makes gradients unsupported). Checked isolated too: gradients cross the wire "
    "as plain tensors.",
    check, example_share=0.6,
    requires=lambda summary, mode: ("it returns numpy arrays, which carry no gradients" if summary.arrays else
                                    needs(lambda s: s.differentiable, "differentiable", "not differentiable")(summary, mode)))
