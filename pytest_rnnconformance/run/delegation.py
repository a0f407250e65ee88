"""Catching delegation: does the implementation reach torch's own recurrent kernels?

An assignment to *write* an LSTM is not met by calling ``nn.LSTM``. Rather than grep the source
(easily fooled by ``getattr(torch, "l" + "stm")``), the call runs under a `TorchFunctionMode`, which
sees every torch function and Tensor method called from Python, whatever route led there:
``nn.LSTM``, ``torch._VF.lstm``, ``torch.lstm_cell``, ``torch.ops.aten.lstm``. Only an operator's own
name is judged (``aten.lstm.input`` -> ``lstm``), so utilities that merely live in a module called
``rnn`` (packing sequences) are not flagged.

A dispatcher-level mode would also see kernels reached from C++ (a TorchScript function calling
``aten::lstm``), but entering one imports ``torch._dynamo``, about two seconds, for every run; code
that hides its delegation in TorchScript is out of this check's reach.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from torch.overrides import TorchFunctionMode, resolve_name

RECURRENT_KERNEL = re.compile(
    r"^(lstm|gru|rnn_tanh|rnn_relu|lstm_cell|gru_cell|rnn_tanh_cell|rnn_relu_cell|_thnn_fused_lstm_cell"
    r"|_thnn_fused_gru_cell|_cudnn_rnn|_cudnn_rnn_flatten_weight|miopen_rnn|mkldnn_rnn_layer|quantized_lstm"
    r"|quantized_gru|quantized_lstm_cell|quantized_gru_cell)$"
)


def own_name(name: str) -> str:
    """'aten.lstm.input' -> 'lstm'; 'torch.Tensor.chunk' -> 'chunk'; 'torch._VF.lstm' -> 'lstm'."""
    if name.startswith("aten."):
        return name.split(".")[1]
    return name.rsplit(".", 1)[-1]


def _function_name(func) -> str:
    """torch's public name for `func` where it has one (``torch.rnn_tanh``), else its own."""
    return resolve_name(func) or str(getattr(func, "__qualname__", None) or func)


class _RecordFunctions(TorchFunctionMode):
    """Keeps every torch function called (the objects: naming them waits until the call is over)."""

    def __init__(self, seen: set) -> None:
        super().__init__()
        self.seen = seen

    def __torch_function__(self, func, types, args=(), kwargs=None):
        try:
            self.seen.add(func)
        except TypeError:  # an unhashable callable: name it now
            self.seen.add(_function_name(func))
        return func(*args, **(kwargs or {}))


def recorded_calls(fn: Callable[[], Any]) -> tuple[Any, set]:
    """Run `fn` under the recorder; return its result and the name of everything seen."""
    functions: set = set()
    with _RecordFunctions(functions):
        result = fn()
    return result, {func if isinstance(func, str) else _function_name(func) for func in functions}


def recurrent_kernels(names: set) -> list:
    """The recorded names that are torch's recurrent kernels, sorted."""
    return sorted(name for name in names if RECURRENT_KERNEL.match(own_name(name)))
