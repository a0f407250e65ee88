"""Catching delegation: does the implementation reach torch's own recurrent kernels?

An assignment to *write* an LSTM is not met by calling ``nn.LSTM``. Rather than grep the source
(easily fooled by ``getattr(torch, "l" + "stm")``), the call runs under torch's own interception:
a `TorchFunctionMode` sees every torch function and Tensor method at the Python API, and a
`TorchDispatchMode` sees every ATen operator that reaches the dispatcher, whatever route led there.
Only an operator's own name is judged (``aten.lstm.input`` -> ``lstm``), so utilities that merely
live in a module called ``rnn`` (packing sequences) are not flagged.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from torch.overrides import TorchFunctionMode, resolve_name
from torch.utils._python_dispatch import TorchDispatchMode

RECURRENT_KERNEL = re.compile(
    r"^(lstm|gru|rnn_tanh|rnn_relu|lstm_cell|gru_cell|rnn_tanh_cell|rnn_relu_cell|_thnn_fused_lstm_cell"
    r"|_thnn_fused_gru_cell|_cudnn_rnn|_cudnn_rnn_flatten_weight|miopen_rnn|mkldnn_rnn_layer)$"
)


def own_name(name: str) -> str:
    """'aten.lstm.input' -> 'lstm'; 'torch.Tensor.chunk' -> 'chunk'; 'torch._VF.lstm' -> 'lstm'."""
    if name.startswith("aten."):
        return name.split(".")[1]
    return name.rsplit(".", 1)[-1]


class _RecordFunctions(TorchFunctionMode):
    def __init__(self, names: set) -> None:
        super().__init__()
        self.names = names

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.add(resolve_name(func) or getattr(func, "__qualname__", repr(func)))
        return func(*args, **(kwargs or {}))


class _RecordOps(TorchDispatchMode):
    def __init__(self, names: set) -> None:
        super().__init__()
        self.names = names

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.names.add(str(func))
        return func(*args, **(kwargs or {}))


def recorded_calls(fn: Callable[[], Any]) -> tuple[Any, set]:
    """Run `fn` under both recorders; return its result and every name seen."""
    names: set = set()
    with _RecordFunctions(names), _RecordOps(names):
        result = fn()
    return result, names


def recurrent_kernels(names: set) -> list:
    """The recorded names that are torch's recurrent kernels, sorted."""
    return sorted(name for name in names if RECURRENT_KERNEL.match(own_name(name)))
