"""A tanh RNN written in C++ against ATen, built with ``torch.utils.cpp_extension.load`` as a torch operator.

The time loop runs in C++ (``tanh_rnn.cpp`` beside this file); its ATen operations record autograd as
torch's own do, so gradients flow and ``backward`` is checked like any other. ``rnn_forward`` is right;
``rnn_forward_no_bias_hh`` forgets ``bias_hh`` (catalogue id ``missing_bias_hh``). The first import
compiles the operator (a C++ compiler and ninja are needed; it takes a few seconds) into
``TORCH_EXTENSIONS_DIR`` (torch's default cache when unset); later imports load the cached build.

    pytest --rnn-impl examples/kernels/cpp_extension_rnn.py:rnn_forward
"""
from pathlib import Path

import torch
from torch.utils.cpp_extension import load

load("rnnconformance_tanh_rnn", sources=[str(Path(__file__).with_name("tanh_rnn.cpp"))], is_python_module=False)
tanh_rnn = torch.ops.rnnconformance_examples.tanh_rnn


def rnn_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Seq-first, one layer: input (time, batch, features), h0 (batch, hidden)."""
    output, h_n = tanh_rnn(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, True)
    return output, h_n


def rnn_forward_no_bias_hh(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    output, h_n = tanh_rnn(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, False)
    return output, h_n
