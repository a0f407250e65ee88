"""double_backward: second derivatives (Hessian-vector products) against torch.nn's, on the CPU.

Gradient penalties, meta-learning and influence functions differentiate a gradient again. torch.nn
supports that on the CPU (its recurrent kernels there are made of differentiable operations; cuDNN's
are not), so an implementation is asked it there: the gradient of ``sum(direction * gradient)`` with
respect to every input, for the ``backward`` row's loss and random directions. A backward that is
not itself differentiable (computed without autograd, ``@once_differentiable``, torch.compile's
aot_autograd) makes the row unsupported, with the reason; wrong first derivatives are ``backward``'s
defect, and this row is blocked by it.
"""
from ..judge.compare import measure
from ..judge.failure import Failure, FailureRaised
from ..judge.gradients import oracle_gradients, upstream_weights
from ..judge.judge import coarser
from ..judge.status import Kind, Status
from ..run.gradients import FIRST, SECOND
from ..run.given import named_input_tensors
from ..run.results import expected_shapes
from .backward import FEATURE as BACKWARD
from .backward import untaken
from .base import Feature, Refused


def check(row, inputs) -> None:
    if inputs.device.type != "cpu":
        raise Refused("torch.nn has no double backward for its CUDA (cuDNN) recurrent kernels")
    upstream = upstream_weights(expected_shapes(inputs), inputs.recipe.seed)
    skipped = untaken(row.summary.support)  # no direction along a gradient its signature cannot have (c0's)
    directions = upstream_weights({f"{FIRST}{name}": tensor.shape for name, tensor in named_input_tensors(inputs).items()
                                   if f"{FIRST}{name}" not in skipped}, inputs.recipe.seed + 1)
    call = row.call(inputs, upstream={**upstream, **directions})
    result = row.settled(call)
    taken = call.gradients or {}
    if not any(name.startswith(SECOND) for name in taken):
        raise Refused("its results carry no gradients at all (backward says why)")
    names = list(result.tensors)
    oracles = oracle_gradients(inputs, {n: upstream[n] for n in names}, names, directions)
    precision = inputs.dtype
    for dtype in result.dtypes.values():
        precision = coarser(precision, dtype)
    tolerance = row.tolerance_of(precision)
    firsts = {n: g for n, g in taken.items() if n.startswith(FIRST) and n not in skipped}
    if not all(error.ok for error in measure(firsts, oracles, tolerance)):
        raise FailureRaised(Failure(Status.BLOCKED, Kind.GRADIENTS, "blocked by backward: its first derivatives "
                                    "already differ from torch.nn's", blocked_by="backward"))
    seconds = {n: g for n, g in taken.items() if n.startswith(SECOND) and n.replace(SECOND, FIRST) not in skipped}
    errors = measure(seconds, oracles, tolerance)
    failing = [e for e in errors if not e.ok]
    if failing:
        row.fail(Kind.GRADIENTS, f"{', '.join(e.name for e in failing)} differ{'s' if len(failing) == 1 else ''} "
                 "from torch.nn's second derivatives", tensors=tuple(errors))


FEATURE = Feature(
    "double_backward", 115,
    "Second derivatives where torch.nn has them (the CPU): the gradient of sum(direction * gradient) with respect "
    "to the input, h0, c0 and every weight (a Hessian-vector product, random directions, the backward row's "
    "loss), against torch.nn's autograd and the float64 reference. Unsupported, with the reason, when the "
    "implementation's backward is not itself differentiable (a custom backward computed without autograd or "
    "marked @once_differentiable, torch.compile's aot_autograd); blocked by backward when the first derivatives "
    "are already wrong.",
    check, example_share=0.4, requires=BACKWARD.requires)
