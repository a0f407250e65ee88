"""A learner's bidirectional Elman RNN (one layer, batch-first, tanh), weights per direction.

    pytest --rnn-impl examples/bidirectional_rnn.py:bidirectional_rnn_forward
"""
import torch


def _run(input, weight_ih, weight_hh, bias_ih, bias_hh, h, steps):
    outputs = [None] * input.shape[1]
    for t in steps:
        h = torch.tanh(input[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        outputs[t] = h
    return torch.stack(outputs, dim=1), h


def bidirectional_rnn_forward(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev,
                              weight_ih_reverse, weight_hh_reverse, bias_ih_reverse, bias_hh_reverse,
                              h_prev_reverse):
    """input (batch, time, features) -> (output (batch, time, 2 * hidden), h_n (2, batch, hidden))."""
    time = input.shape[1]
    forward_out, forward_h = _run(input, weight_ih, weight_hh, bias_ih, bias_hh, h_prev, range(time))
    reverse_out, reverse_h = _run(input, weight_ih_reverse, weight_hh_reverse, bias_ih_reverse,
                                  bias_hh_reverse, h_prev_reverse, reversed(range(time)))
    return torch.cat([forward_out, reverse_out], dim=-1), torch.stack([forward_h, reverse_h])
