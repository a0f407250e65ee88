"""Numpy GRU cell homework: stacked weights in (in, out) layout, gates r, z, n as in PyTorch,
separate input and hidden biases so that bh's n-part stays inside the reset gate. Correct.
"""
import numpy as np


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def gru_cell(x, prev_h, Wx, Wh, bx, bh):
    H = prev_h.shape[1]
    gx = x @ Wx + bx        # (N, 3H)
    gh = prev_h @ Wh + bh   # (N, 3H)
    r = sigmoid(gx[:, :H] + gh[:, :H])
    z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
    next_h = (1 - z) * n + z * prev_h
    return next_h
