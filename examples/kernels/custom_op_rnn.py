"""A tanh RNN whose step is a ``torch.library.custom_op`` with a registered autograd formula.

This is how a kernel author exposes a fused kernel to torch (here its body is plain torch, so the
example runs anywhere): the op has a fake (meta) implementation for torch.compile and a backward
registered with ``register_autograd``. ``rnn_forward`` registers the right backward;
``rnn_forward_no_tanh_derivative`` an op whose backward forgets tanh's derivative (1 - h²), so
``backward`` fails while ``forward`` passes. Needs torch 2.4 or newer.

    pytest --rnn-impl examples/kernels/custom_op_rnn.py:rnn_forward
"""
import torch
from torch import Tensor


def _step(gi: Tensor, h: Tensor, w_hh: Tensor) -> Tensor:
    return torch.tanh(gi + h @ w_hh.T)


def _save(ctx, inputs, output) -> None:
    _, h, w_hh = inputs
    ctx.save_for_backward(h, w_hh, output)


def _backward(ctx, grad_h_new):
    h, w_hh, h_new = ctx.saved_tensors
    grad_pre = grad_h_new * (1 - h_new * h_new)  # tanh' = 1 - tanh²
    return grad_pre, grad_pre @ w_hh, grad_pre.T @ h


def _backward_no_tanh_derivative(ctx, grad_h_new):
    h, w_hh, _ = ctx.saved_tensors
    return grad_h_new, grad_h_new @ w_hh, grad_h_new.T @ h


def _define(name: str, backward):
    """The op ``rnnconformance_examples::<name>``: `_step`, its fake, and `backward`."""
    op = torch.library.custom_op(f"rnnconformance_examples::{name}", _step, mutates_args=())
    op.register_fake(lambda gi, h, w_hh: torch.empty_like(gi))
    op.register_autograd(backward, setup_context=_save)
    return op


tanh_step = _define("tanh_step", _backward)
tanh_step_no_tanh_derivative = _define("tanh_step_no_tanh_derivative", _backward_no_tanh_derivative)


def run(step, input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Seq-first, one layer: input (time, batch, features), h0 (batch, hidden)."""
    projected = input @ weight_ih.T + bias_ih + bias_hh
    h, outputs = h0, []
    for gi in projected:
        h = step(gi, h, weight_hh)
        outputs.append(h)
    return torch.stack(outputs), h


def rnn_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    return run(tanh_step, input, h0, weight_ih, weight_hh, bias_ih, bias_hh)


def rnn_forward_no_tanh_derivative(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    return run(tanh_step_no_tanh_derivative, input, h0, weight_ih, weight_hh, bias_ih, bias_hh)
