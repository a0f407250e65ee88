// A tanh RNN's time loop in C++, registered as the torch operator rnnconformance_examples::tanh_rnn.
//
// Only the ATen operators it calls are included (not <torch/extension.h>, which pulls in all of
// torch and pybind11): the build then takes seconds instead of half a minute. The operator is
// registered with TORCH_LIBRARY and no Python bindings, so the Python side calls it through torch.ops.
// Its kernel is composite: autograd records the ATen operations inside it as for torch's own.
#define TORCH_ASSERT_ONLY_METHOD_OPERATORS
#include <ATen/core/Tensor.h>
#include <ATen/ops/addmm.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/tanh.h>
#include <torch/library.h>

#include <tuple>
#include <vector>

// input (time, batch, input_size), h (batch, hidden_size); returns (output, h_n).
std::tuple<at::Tensor, at::Tensor> tanh_rnn(const at::Tensor& input, at::Tensor h, const at::Tensor& weight_ih,
                                            const at::Tensor& weight_hh, const at::Tensor& bias_ih,
                                            const at::Tensor& bias_hh, bool add_bias_hh) {
  std::vector<at::Tensor> outputs;
  for (int64_t t = 0; t < input.size(0); ++t) {
    at::Tensor pre = at::addmm(at::addmm(bias_ih, input[t], weight_ih.t()), h, weight_hh.t());
    h = at::tanh(add_bias_hh ? pre.add(bias_hh) : pre);
    outputs.push_back(h);
  }
  return {at::stack(outputs), h};
}

TORCH_LIBRARY(rnnconformance_examples, m) {
  m.def("tanh_rnn(Tensor input, Tensor h, Tensor weight_ih, Tensor weight_hh, Tensor bias_ih, Tensor bias_hh, "
        "bool add_bias_hh) -> (Tensor, Tensor)",
        &tanh_rnn);
}
