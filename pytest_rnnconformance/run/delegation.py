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

The plugin's own answer key is watched the same way: a profile function (``sys.setprofile``, for
the call only) records every function of the modules that compute a recurrence's result (the
bundled reference, ``modes``, the judge's oracles and catalogue) entered *from outside the plugin*,
i.e. called by the implementation. The plugin calling its own modules is not recorded. This is
detection for plain runs; the grader's sandbox makes those modules unimportable in the first place.
"""
from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, Callable

import torch
from torch.overrides import TorchFunctionMode, resolve_name

RECURRENT_KERNEL = re.compile(
    r"^(lstm|gru|rnn_tanh|rnn_relu|lstm_cell|gru_cell|rnn_tanh_cell|rnn_relu_cell|_thnn_fused_lstm_cell"
    r"|_thnn_fused_gru_cell|_cudnn_rnn|_cudnn_rnn_flatten_weight|miopen_rnn|mkldnn_rnn_layer|quantized_lstm"
    r"|quantized_gru|quantized_lstm_cell|quantized_gru_cell)$"
)


PLUGIN = "pytest_rnnconformance"
#: The plugin's modules that compute a recurrence's result: an implementation calling into them
#: copies the answer instead of computing it.
ANSWER_KEY = tuple(f"{PLUGIN}.{part}" for part in ("reference", "modes", "judge"))


def _in(module: str, packages: tuple) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


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


class _AnswerKeyWatch:
    """Records the answer key's functions entered from code outside the plugin (see the module doc)."""

    def __init__(self, seen: set) -> None:
        self.seen = seen
        self.previous: Any = None

    def profile(self, frame, event: str, arg: Any) -> None:
        if event != "call":
            return
        module = frame.f_globals.get("__name__", "")
        if _in(module, ANSWER_KEY) and frame.f_back is not None \
                and not _in(frame.f_back.f_globals.get("__name__", ""), (PLUGIN,)):
            self.seen.add(f"{module}.{frame.f_code.co_name}")

    def __enter__(self) -> "_AnswerKeyWatch":
        self.previous = sys.getprofile()
        sys.setprofile(self.profile)
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.setprofile(self.previous)


def _eagerly() -> Any:
    """torch.compile'd code run eagerly while it is recorded: the operations seen are the ones it
    compiles, and dynamo would otherwise trace the recorder too, compiling again at every operation
    (minutes, past any time limit). Only where dynamo is loaded, and torch has stances (2.6+)."""
    set_stance = getattr(torch.compiler, "set_stance", None)
    if "torch._dynamo" not in sys.modules or set_stance is None:
        return contextlib.nullcontext()
    return set_stance("force_eager")


def recorded_calls(fn: Callable[[], Any]) -> tuple[Any, set]:
    """Run `fn` under the recorders; return its result and the name of everything seen."""
    functions: set = set()
    with _eagerly(), _RecordFunctions(functions), _AnswerKeyWatch(functions):
        result = fn()
    return result, {func if isinstance(func, str) else _function_name(func) for func in functions}


def recurrent_kernels(names: set) -> list:
    """What the recurrence was delegated to, sorted: the recorded names that are torch's recurrent
    kernels, and the plugin's answer-key functions the implementation called."""
    return sorted(name for name in names if RECURRENT_KERNEL.match(own_name(name)) or _in(name, ANSWER_KEY))


def answer_key_calls(kernels: list) -> list:
    """Of `recurrent_kernels`' names, the plugin's own."""
    return [name for name in kernels if _in(name, ANSWER_KEY)]
