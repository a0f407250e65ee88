"""Drop-in `nn.Module`s: the reference behind torch.nn's constructor and parameter names.

``reference.LSTM(10, 20, num_layers=2, bidirectional=True)`` takes the same arguments, registers
the same parameters under the same names (so ``load_state_dict`` works both ways), initialises
them the same way (uniform in ±1/√hidden_size) and returns the same results as ``torch.nn.LSTM``.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

from ..spec import RNNSpec
from .forward import forward


class _ReferenceRNNBase(nn.Module):
    mode = ""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, *, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        self.spec = RNNSpec(self.mode, input_size, hidden_size, num_layers, bias, batch_first,
                            float(dropout), bidirectional, proj_size, nonlinearity)
        for name, shape in self.spec.param_shapes().items():
            self.register_parameter(name, nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
        #: Generator for training-mode dropout masks; None uses torch's default generator.
        self.generator: Optional[torch.Generator] = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.spec.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, input, hx=None):
        params = dict(self.named_parameters())
        return forward(input, hx, params, self.spec, training=self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return self.spec.describe()


class RNN(_ReferenceRNNBase):
    """Elman RNN (tanh or relu), with torch.nn.RNN's constructor: ``RNN(input_size, hidden_size, ...)``."""

    mode = "rnn"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, num_layers, nonlinearity=nonlinearity, bias=bias,
                         batch_first=batch_first, dropout=dropout, bidirectional=bidirectional,
                         device=device, dtype=dtype)


class LSTM(_ReferenceRNNBase):
    """LSTM with optional projections, with torch.nn.LSTM's constructor."""

    mode = "lstm"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=batch_first,
                         dropout=dropout, bidirectional=bidirectional, proj_size=proj_size,
                         device=device, dtype=dtype)


class GRU(_ReferenceRNNBase):
    """GRU (torch.nn's variant, reset gate after the matmul), with torch.nn.GRU's constructor."""

    mode = "gru"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=batch_first,
                         dropout=dropout, bidirectional=bidirectional, device=device, dtype=dtype)
