"""A tanh RNN step with a hand-written backward, the way a kernel author wraps a fused kernel.

The suite compares its gradients with torch.nn's autograd and, because the backward is custom,
also runs torch.autograd.gradcheck on it in float64.

    pytest --rnn-impl examples/custom_backward_rnn.py:rnn_forward
"""
import torch


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


def rnn_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Seq-first, one layer: input (time, batch, features), h0 (batch, hidden)."""
    projected = input @ weight_ih.T + bias_ih + bias_hh
    h, outputs = h0, []
    for gi in projected:
        h = TanhStep.apply(gi, h, weight_hh)
        outputs.append(h)
    return torch.stack(outputs), h
