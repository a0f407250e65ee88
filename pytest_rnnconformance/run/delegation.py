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


def _function_name(func) -> str:
    """torch's public name for `func` where it has one (``torch.rnn_tanh``), else its own."""
    return resolve_name(func) or getattr(func, "__qualname__", repr(func))


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


class _RecordOps(TorchDispatchMode):
    """Keeps every ATen operator that reached the dispatcher."""

    def __init__(self, seen: set) -> None:
        super().__init__()
        self.seen = seen

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.seen.add(func)
        return func(*args, **(kwargs or {}))


def recorded_calls(fn: Callable[[], Any]) -> tuple[Any, set]:
    """Run `fn` under both recorders; return its result and the name of everything seen."""
    functions: set = set()
    operators: set = set()
    with _RecordFunctions(functions), _RecordOps(operators):
        result = fn()
    names = {func if isinstance(func, str) else _function_name(func) for func in functions}
    return result, names | {str(op) for op in operators}


def recurrent_kernels(names: set) -> list:
    """The recorded names that are torch's recurrent kernels, sorted."""
    return sorted(name for name in names if RECURRENT_KERNEL.match(own_name(name)))
