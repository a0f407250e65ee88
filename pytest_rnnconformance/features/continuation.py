"""continuation: two calls carrying the state equal one; a sample alone equals it inside a batch."""
from dataclasses import replace

import torch

from ..judge.failure import Failure, FailureRaised
from ..judge.judge import judge
from ..judge.status import Status
from ..run.results import Result
from .base import Feature, cause_owner


def check(row, inputs) -> None:
    support = row.summary.support
    # the carry needs every state the first call returns: an LSTM without c0 cannot be handed c_n
    if support.state_given and support.cell_state_given and inputs.spec.num_directions == 1:
        split(row, inputs)
    alone(row, inputs)


def _piece(row, inputs, what: str, small: bool) -> Result:
    """A call this check is made of, judged on its own first: if it is already wrong, the defect is
    the row's that owns such calls (edge_cases for a step or a row of one), not continuation's."""
    result = row.result(inputs)
    failure = judge(inputs, result, row.tolerance_of)
    if failure is not None:
        owner = cause_owner(failure) or ("edge_cases" if small else "forward")
        raise FailureRaised(Failure(Status.BLOCKED, failure.kind, f"blocked by {owner}: {what} is already wrong on its own "
                                    f"({failure.summary})", blocked_by=owner, explanations=failure.explanations))
    return result


def split(row, inputs) -> None:
    """The sequence in two calls, the second starting from the state the first returned, judged on
    what it returns: without an output (``--rnn-returns h_n``), on the states after the second call.
    A state it does not return cannot be carried: then only `alone` is asked."""
    time = inputs.recipe.time
    cut = time // 2
    first = _time_slice(inputs, 0, cut, inputs.hx)
    head = _piece(row, first, f"the first {cut} step(s) alone", cut == 1).tensors
    states = [name for name in inputs.spec.result_names if name != "output"]
    if not set(states) <= set(head):
        return
    carried = tuple(head[name] for name in states) if len(states) > 1 else head[states[0]]
    second = _time_slice(inputs, cut, time, carried)
    tail = row.result(second).tensors
    time_dim = 1 if inputs.spec.batch_first and inputs.recipe.batch is not None else 0
    joined = dict(tail, output=torch.cat([head["output"], tail["output"]], dim=time_dim)) if "output" in tail else tail
    row.judge(inputs, Result(joined, dtypes={n: t.dtype for n, t in joined.items()}),
              context=f"two calls, split at step {cut}, the second starting from the state the first returned")


def alone(row, inputs) -> None:
    """The last batch row run alone, as a batch of one, equals it inside the batch."""
    if inputs.recipe.batch is None or inputs.recipe.batch < 2 or inputs.recipe.lengths is not None:
        return
    row_index = inputs.recipe.batch - 1
    whole = row.result(inputs).tensors
    single = _piece(row, inputs.batch_row(row_index), f"batch row {row_index} alone", True).tensors
    batch_dim = {"output": 0 if inputs.spec.batch_first else 1}
    for name, tensor in single.items():
        dim = batch_dim.get(name, 0 if inputs.spec.single_step else 1)
        inside = whole[name].narrow(dim, row_index, 1)
        row.relation(inputs, inside, tensor, f"batch row {row_index} gives a different {name} inside the batch than "
                     "alone: batch rows influence each other",
                     "look for a reshape/view where a transpose belongs, a sum or mean over the batch, or a buffer "
                     "reused between calls")


def _time_slice(inputs, start: int, stop: int, hx):
    dim = 1 if inputs.spec.batch_first and inputs.recipe.batch is not None else 0
    return replace(inputs, input=inputs.input.narrow(dim, start, stop - start), hx=hx,
                   recipe=replace(inputs.recipe, time=stop - start, hx_none=hx is None))


FEATURE = Feature(
    "continuation", 160,
    "Running a sequence in two calls, the second starting from the state the first returned, equals one call; "
    "a batch row run alone equals the same row inside the batch. Each part is judged alone first, so a defect "
    "of one step or one row is left to edge_cases. The carry is asked only of a signature that takes every state "
    "(an LSTM without c0 cannot be handed c_n).",
    check, sequences_only=True)
