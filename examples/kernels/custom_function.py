"""A tanh RNN whose step is a custom ``torch.autograd.Function``, right and wrong.

``rnn_forward`` has the right backward, itself differentiable: ``backward`` and
``double_backward`` pass. The others each hold one slip a kernel author makes when the forward is
fused and the backward is written by hand (their forward is right):

* ``rnn_forward_no_tanh_derivative`` forgets to multiply by tanh's derivative (1 - h²): ``backward``
  fails in every dtype (in float64 ``torch.autograd.gradcheck`` runs too), ``double_backward`` is
  blocked by it;
* ``rnn_forward_detached_derivative`` multiplies by (1 - h²) of a detached h: right first
  derivatives, wrong second ones, so ``double_backward`` alone fails;
* ``rnn_forward_once_differentiable`` marks its backward ``@once_differentiable``: right, and
  ``double_backward`` is unsupported, with that reason.

    pytest --rnn-impl examples/kernels/custom_function.py:rnn_forward
    pytest --rnn-impl examples/kernels/custom_function.py:rnn_forward_no_tanh_derivative
"""
import torch
from torch.autograd.function import once_differentiable


class TanhStep(torch.autograd.Function):
    """h' = tanh(gi + h W_hhᵀ), with gi the step's input projection (biases included)."""

    @staticmethod
    def forward(ctx, gi, h, w_hh):
        h_new = torch.tanh(gi + h @ w_hh.T)
        ctx.save_for_backward(h, w_hh, h_new)
        return h_new

    @staticmethod
    def backward(ctx, grad_h_new):
        h, w_hh, h_new = ctx.saved_tensors
        grad_pre = grad_h_new * (1 - h_new * h_new)  # tanh' = 1 - tanh²
        return grad_pre, grad_pre @ w_hh, grad_pre.T @ h


class TanhStepNoDerivative(TanhStep):
    """The same forward; the backward passes the gradient through tanh as if it were the identity."""

    @staticmethod
    def backward(ctx, grad_h_new):
        h, w_hh, _ = ctx.saved_tensors
        return grad_h_new, grad_h_new @ w_hh, grad_h_new.T @ h


class TanhStepDetachedDerivative(TanhStep):
    """The right first derivative, through a detached h: its own derivative is lost."""

    @staticmethod
    def backward(ctx, grad_h_new):
        h, w_hh, h_new = ctx.saved_tensors
        grad_pre = grad_h_new * (1 - h_new.detach() ** 2)
        return grad_pre, grad_pre @ w_hh, grad_pre.T @ h


class TanhStepOnce(TanhStep):
    """The right backward, declared differentiable once only."""

    backward = staticmethod(once_differentiable(TanhStep.backward))


def run(step, input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Seq-first, one layer: input (time, batch, features), h0 (batch, hidden)."""
    projected = input @ weight_ih.T + bias_ih + bias_hh
    h, outputs = h0, []
    for gi in projected:
        h = step.apply(gi, h, weight_hh)
        outputs.append(h)
    return torch.stack(outputs), h


def rnn_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    return run(TanhStep, input, h0, weight_ih, weight_hh, bias_ih, bias_hh)


def rnn_forward_no_tanh_derivative(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    return run(TanhStepNoDerivative, input, h0, weight_ih, weight_hh, bias_ih, bias_hh)


def rnn_forward_detached_derivative(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    return run(TanhStepDetachedDerivative, input, h0, weight_ih, weight_hh, bias_ih, bias_hh)


def rnn_forward_once_differentiable(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    return run(TanhStepOnce, input, h0, weight_ih, weight_hh, bias_ih, bias_hh)
