"""A tanh RNN written in C++ against ATen and built with ``torch.utils.cpp_extension.load_inline``.

The time loop runs in C++; its ATen operations record autograd as torch's own do, so gradients
flow and ``backward`` is checked like any other. ``rnn_forward`` is right; ``rnn_forward_no_bias_hh``
forgets ``bias_hh`` (catalogue id ``missing_bias_hh``). The first import compiles the extension (a C++
compiler and ninja are needed; it takes a minute) into ``TORCH_EXTENSIONS_DIR`` (torch's default
cache when unset); later imports load the cached build.

    pytest --rnn-impl examples/kernels/cpp_extension_rnn.py:rnn_forward
"""
import torch
from torch.utils.cpp_extension import load_inline

SOURCE = r"""
#include <torch/extension.h>

std::vector<torch::Tensor> tanh_rnn(torch::Tensor input, torch::Tensor h, torch::Tensor w_ih, torch::Tensor w_hh,
                                    torch::Tensor b_ih, torch::Tensor b_hh, bool add_bias_hh) {
  std::vector<torch::Tensor> outputs;
  for (int64_t t = 0; t < input.size(0); ++t) {
    auto pre = torch::addmm(b_ih, input[t], w_ih.t()) + torch::mm(h, w_hh.t());
    h = torch::tanh(add_bias_hh ? pre + b_hh : pre);
    outputs.push_back(h);
  }
  return {torch::stack(outputs), h};
}
"""

extension = load_inline("rnnconformance_tanh_rnn", cpp_sources=SOURCE, functions=["tanh_rnn"])


def rnn_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Seq-first, one layer: input (time, batch, features), h0 (batch, hidden)."""
    output, h_n = extension.tanh_rnn(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, True)
    return output, h_n


def rnn_forward_no_bias_hh(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    output, h_n = extension.tanh_rnn(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, False)
    return output, h_n
