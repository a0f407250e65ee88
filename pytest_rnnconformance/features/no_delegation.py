"""no_delegation: the recurrence is computed by the implementation, not by torch's RNN kernels nor by
the plugin's own reference."""
from ..judge.failure import Explanation
from ..judge.status import Kind
from ..run.delegation import answer_key_calls
from .base import Feature


def _what(kernels: list) -> str:
    plugin = answer_key_calls(kernels)
    torch_kernels = [k for k in kernels if k not in plugin]
    parts = [f"torch's own recurrent kernel{'s' if len(torch_kernels) > 1 else ''} {', '.join(torch_kernels)}"] \
        if torch_kernels else []
    if plugin:
        parts.append(f"the plugin's own reference ({', '.join(plugin)})")
    return " and ".join(parts)


def check(row, inputs) -> None:
    call = row.call(inputs, record_kernels=True)
    row.settled(call)
    kernels = call.record.kernels
    if kernels:
        row.fail(Kind.DELEGATION, f"calls {_what(kernels)}", details=(f"kernels reached: {', '.join(kernels)}",),
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
    "torch.lstm_cell, torch.ops.aten.lstm...), seen through a TorchFunctionMode while it runs, nor the plugin's "
    "own reference (pytest_rnnconformance.reference, modes, judge), seen through a profile function. Judges only "
    "that. --rnn-allow-builtin turns it off.",
    check, judges_values=False, example_share=0.2, requires=_requires)
