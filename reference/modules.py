"""Drop-in `nn.Module`s: the reference behind torch.nn's constructors and parameter names.

``reference.LSTM(10, 20, num_layers=2, bidirectional=True)`` takes the same arguments as
``torch.nn.LSTM``, registers the same parameters under the same names (so ``load_state_dict`` works
both ways), initialises them the same way (uniform in ±1/√hidden_size) and returns the same results.
The cell modules do the same for ``nn.RNNCell``, ``nn.LSTMCell`` and ``nn.GRUCell``.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

from .forward import forward
from .one_step import cell_step
from .parameters import GATES, layer_parameter_shapes, parameter_shapes


class _Recurrent(nn.Module):
    """What the three sequence modules share: torch.nn's attributes, parameters and forward."""

    mode = ""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, *, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first = nonlinearity, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        shapes = parameter_shapes(self.mode, input_size, hidden_size, num_layers, bias=bias,
                                  bidirectional=bidirectional, proj_size=proj_size)
        for name, shape in shapes.items():
            self.register_parameter(name, nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
        #: Generator for training-mode dropout masks; None uses torch's default generator.
        self.generator: Optional[torch.Generator] = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, input, hx=None):
        return forward(input, hx, dict(self.named_parameters()), self, training=self.training,
                       generator=self.generator)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class RNN(_Recurrent):
    r"""An Elman RNN with tanh or ReLU, as ``torch.nn.RNN``: ``RNN(input_size, hidden_size, ...)``.

    For each element of the input sequence, each layer computes::

        h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)        (relu instead of tanh if asked)

    Args: input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0 (between layers, in training mode), bidirectional=False.

    Inputs: ``input`` (L, N, H_in), (N, L, H_in) with batch_first, or (L, H_in) unbatched, or a
    PackedSequence; ``h_0`` (D * num_layers, N, H_out), or (D * num_layers, H_out); zeros if omitted.
    Outputs: ``output`` (L, N, D * H_out) and ``h_n`` (D * num_layers, N, H_out), with D = 2 for a
    bidirectional network, else 1.

    Example::

        >>> rnn = RNN(10, 20, num_layers=2)
        >>> output, h_n = rnn(torch.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    mode = "rnn"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, num_layers, nonlinearity=nonlinearity, bias=bias,
                         batch_first=batch_first, dropout=dropout, bidirectional=bidirectional,
                         device=device, dtype=dtype)


class LSTM(_Recurrent):
    r"""A long short-term memory RNN, with optional projections, as ``torch.nn.LSTM``.

    For each element of the input sequence, each layer computes::

        i_t = σ(x_t W_iiᵀ + b_ii + h_{t-1} W_hiᵀ + b_hi)       input gate
        f_t = σ(x_t W_ifᵀ + b_if + h_{t-1} W_hfᵀ + b_hf)       forget gate
        g_t = tanh(x_t W_igᵀ + b_ig + h_{t-1} W_hgᵀ + b_hg)    candidate cell
        o_t = σ(x_t W_ioᵀ + b_io + h_{t-1} W_hoᵀ + b_ho)       output gate
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)             then h_t W_hrᵀ when proj_size > 0

    ``weight_ih_l{k}`` stacks W_ii, W_if, W_ig, W_io (in that order), and likewise the others.

    Args: input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0.

    Inputs: ``input`` as for `RNN`; ``(h_0, c_0)``, h_0 (D * num_layers, N, H_out) and c_0
    (D * num_layers, N, H_cell), zeros if omitted; H_out = proj_size or hidden_size.
    Outputs: ``output`` (L, N, D * H_out) and ``(h_n, c_n)``.

    Example::

        >>> lstm = LSTM(10, 20, proj_size=5)
        >>> output, (h_n, c_n) = lstm(torch.randn(5, 3, 10))
        >>> output.shape, h_n.shape, c_n.shape
        (torch.Size([5, 3, 5]), torch.Size([1, 3, 5]), torch.Size([1, 3, 20]))
    """

    mode = "lstm"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=batch_first,
                         dropout=dropout, bidirectional=bidirectional, proj_size=proj_size,
                         device=device, dtype=dtype)


class GRU(_Recurrent):
    r"""A gated recurrent unit RNN, as ``torch.nn.GRU`` (and cuDNN) compute it.

    For each element of the input sequence, each layer computes::

        r_t = σ(x_t W_irᵀ + b_ir + h_{t-1} W_hrᵀ + b_hr)              reset gate
        z_t = σ(x_t W_izᵀ + b_iz + h_{t-1} W_hzᵀ + b_hz)              update gate
        n_t = tanh(x_t W_inᵀ + b_in + r_t ⊙ (h_{t-1} W_hnᵀ + b_hn))   r_t applied after the product
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    Args, inputs and outputs as for `RNN` (no nonlinearity argument).

    Example::

        >>> gru = GRU(10, 20, batch_first=True)
        >>> output, h_n = gru(torch.randn(3, 5, 10))
        >>> output.shape
        torch.Size([3, 5, 20])
    """

    mode = "gru"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=batch_first,
                         dropout=dropout, bidirectional=bidirectional, device=device, dtype=dtype)


class _OneStep(nn.Module):
    """What the three cell modules share: one layer's four weights, no suffix, one step."""

    mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias, self.nonlinearity = input_size, hidden_size, bias, nonlinearity
        for name, shape in layer_parameter_shapes(GATES[self.mode], input_size, hidden_size, bias=bias).items():
            self.register_parameter(name, nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
        bound = 1.0 / math.sqrt(hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, input, hx=None):
        return cell_step(input, hx, dict(self.named_parameters()), self.mode, self.nonlinearity)


class RNNCell(_OneStep):
    r"""One step of an Elman RNN, as ``torch.nn.RNNCell``: ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)``.

    Inputs: ``input`` (N, H_in) or (H_in,); ``hidden`` (N, H) or (H,), zeros if omitted. Output: h'.

    Example::

        >>> cell = RNNCell(10, 20)
        >>> cell(torch.randn(3, 10)).shape
        torch.Size([3, 20])
    """

    mode = "rnn"


class LSTMCell(_OneStep):
    r"""One step of an LSTM, as ``torch.nn.LSTMCell``: the equations of `LSTM` for a single t.

    Inputs: ``input`` (N, H_in) or (H_in,); ``(h, c)``, each (N, H) or (H,), zeros if omitted.
    Output: ``(h_1, c_1)``.

    Example::

        >>> cell = LSTMCell(10, 20)
        >>> h_1, c_1 = cell(torch.randn(3, 10))
        >>> h_1.shape
        torch.Size([3, 20])
    """

    mode = "lstm"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)


class GRUCell(_OneStep):
    r"""One step of a GRU, as ``torch.nn.GRUCell``: the equations of `GRU` for a single t.

    Inputs: ``input`` (N, H_in) or (H_in,); ``hidden`` (N, H) or (H,), zeros if omitted. Output: h'.

    Example::

        >>> cell = GRUCell(10, 20)
        >>> cell(torch.randn(3, 10)).shape
        torch.Size([3, 20])
    """

    mode = "gru"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
