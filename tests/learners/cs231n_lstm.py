"""CS231n-style numpy homework (LSTM part of rnn_layers.py).
Correct in the assignment's own conventions: gate blocks packed i, f, o, g (torch packs i, f, g, o),
one bias, and the initial cell state is always zero (only h0 is passed in).
"""
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """x: (N, D), prev_h/prev_c: (N, H), Wx: (D, 4H), Wh: (H, 4H), b: (4H,)."""
    next_h, next_c, cache = None, None, None
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, 0:H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:4 * H])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H). The cell state starts at zero. Returns h: (N, T, H), cache."""
    h, cache = None, None
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros_like(h0)
    cache = []
    for t in range(T):
        prev_h, prev_c, c = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(c)
    return h, cache
