"""A blog-tutorial RNN: batch-first, the outputs written into a buffer made with torch.zeros, which
allocates in the default dtype (float32) whatever the input's dtype is.

    pytest --rnn-impl examples/as_written/float32_buffer.py:rnn_forward

Every row judges its values at the precision it returned and passes; the dtype row alone fails,
named default_dtype_buffer (use x.new_zeros(...) or dtype=x.dtype).
"""
import torch


def rnn_forward(x, h_prev, w_ih, w_hh, b_ih, b_hh):
    """x: (batch, time, input); h_prev: (batch, hidden). Returns (output, h_n)."""
    batch, steps, _ = x.shape
    output = torch.zeros(batch, steps, w_hh.shape[0])
    h = h_prev
    for t in range(steps):
        h = torch.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        output[:, t] = h
    return output, h
