"""per_gate_concat.py with one mistake: the old cell state is scaled by the output gate where the
forget gate belongs (c = o * c_prev + i * c_hat).

    pytest --rnn-impl examples/as_written/wrong/per_gate_concat.py:lstm_step --rnn-bind auto
"""
import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_step(x, h_prev, c_prev, W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o):
    """x: (B, D); h_prev, c_prev: (B, H); W_*: (H, H + D); b_*: (H,). Returns (h, c)."""
    z = np.concatenate([h_prev, x], axis=1)
    f = sigmoid(z @ W_f.T + b_f)  # computed, then not used: the mistake
    i = sigmoid(z @ W_i.T + b_i)
    c_hat = np.tanh(z @ W_c.T + b_c)
    o = sigmoid(z @ W_o.T + b_o)
    c = o * c_prev + i * c_hat
    h = o * np.tanh(c)
    return h, c
