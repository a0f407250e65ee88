"""no_delegation: the recurrence is computed by the implementation, not by torch's RNN kernels."""
from ..judge.failure import Explanation
from ..judge.status import Kind
from .base import Feature


def check(row, inputs) -> None:
    call = row.call(inputs, record_kernels=True)
    row.settled(call)
    kernels = call.record.kernels
    if kernels:
        row.fail(Kind.DELEGATION, f"calls torch's own recurrent kernel{'s' if len(kernels) > 1 else ''} "
                 f"{', '.join(kernels)}", details=(f"kernels reached: {', '.join(kernels)}",),
                 explanations=(Explanation("delegation", "the recurrence must be computed by the implementation "
                                           "itself (--rnn-allow-builtin turns this check off for code that wraps "
                                           "torch on purpose)", (), True),))


def _requires(summary, mode: str):
    if summary.arrays:
        return "it computes with numpy, which cannot reach torch's recurrent kernels"
    return None


FEATURE = Feature(
    "no_delegation", 190,
    "The implementation does not call torch's own recurrent kernels (nn.RNN/LSTM/GRU, their cells, torch._VF, "
    "torch.lstm_cell, torch.ops.aten.lstm...), seen through a TorchFunctionMode while it runs. Judges only that. "
    "--rnn-allow-builtin turns it off.",
    check, judges_values=False, example_share=0.2, requires=_requires)
