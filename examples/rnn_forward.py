"""A learner's Elman RNN: one layer, batch-first, tanh — the signature many courses hand out.

    pytest --rnn-impl examples/rnn_forward.py:rnn_forward
"""
import torch


def rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev):
    """input (batch, time, input_size), h_prev (batch, hidden) -> (output (batch, time, hidden), h_n)."""
    outputs = []
    h = h_prev
    for t in range(input.shape[1]):
        h = torch.tanh(input[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
