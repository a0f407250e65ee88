"""purity: inputs and weights untouched, global torch state unchanged, the same result twice."""
import torch

from .base import Feature


def check(row, inputs) -> None:
    call = row.call(inputs, grad=True)  # in grad mode, so that turning it off is seen
    row.settled(call)
    record = call.record
    problems = list(record.mutated) + [f"changed the global torch state: {change}" for change in record.state_changes]
    problems += record.left_running
    if problems:
        row.fail("purity", "; ".join(problems), details=("the plugin restored its own copies and state",))
    first, second = call.result, row.result(inputs)
    for name, tensor in first.tensors.items():
        other = second.tensors.get(name)
        if other is None or other.shape != tensor.shape:
            continue
        if not torch.equal(torch.nan_to_num(tensor), torch.nan_to_num(other)):
            difference = float((tensor.double() - other.double()).abs().max())
            row.fail("purity", f"gave a different {name} when called twice on the same input (max difference "
                     f"{difference:.3g}): the result must depend on nothing but the inputs")


FEATURE = Feature(
    "purity", 180,
    "The implementation leaves its inputs and weights as it found them (it gets private copies; what it wrote "
    "to is named), leaves the global torch state alone (default dtype, grad mode, threads, cuDNN flags, the "
    "global random generator), leaves nothing running after it returns (threads or processes it started; torch's "
    "own, such as inductor's compile workers, are not its doing) and gives the same result twice. Judges only "
    "that, not the values.",
    check, judges_values=False, example_share=0.4)
