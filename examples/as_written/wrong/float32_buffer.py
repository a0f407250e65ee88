"""float32_buffer.py's other habit, and a real bug: the output buffer is right (x.new_zeros), but
h_prev=None makes the initial state with torch.zeros, in float32; float64 input then fails in the
first matrix product.

    pytest --rnn-impl examples/as_written/wrong/float32_buffer.py:rnn_forward
"""
import torch


def rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h_prev=None):
    """x: (batch, time, input); h_prev: (batch, hidden) or None. Returns (output, h_n)."""
    batch, steps, _ = x.shape
    hidden = w_hh.shape[0]
    output = x.new_zeros(batch, steps, hidden)
    h = torch.zeros(batch, hidden) if h_prev is None else h_prev
    for t in range(steps):
        h = torch.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        output[:, t] = h
    return output, h
