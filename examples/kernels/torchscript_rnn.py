"""A tanh RNN as a TorchScript function (``torch.jit.script``), right and wrong.

TorchScript compiles the whole time loop; the plugin binds the scripted function by the names of its
parameters, as it binds a Python one. ``rnn_forward`` is right; ``rnn_forward_no_bias_hh`` forgets
``bias_hh`` (catalogue id ``missing_bias_hh``).

    pytest --rnn-impl examples/kernels/torchscript_rnn.py:rnn_forward
"""
import torch
from torch import Tensor


@torch.jit.script
def run(input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor,
        add_bias_hh: bool):
    """Seq-first, one layer: input (time, batch, features), h0 (batch, hidden)."""
    h = h0
    outputs = []
    for t in range(input.size(0)):
        pre = input[t] @ weight_ih.t() + bias_ih + h @ weight_hh.t()
        h = torch.tanh(pre + bias_hh if add_bias_hh else pre)
        outputs.append(h)
    return torch.stack(outputs), h


@torch.jit.script
def rnn_forward(input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor):
    return run(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, True)


@torch.jit.script
def rnn_forward_no_bias_hh(input: Tensor, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor,
                           bias_hh: Tensor):
    return run(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, False)
