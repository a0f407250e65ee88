"""Numpy port of a one-layer nn.LSTM ("LSTM in pure numpy" blog style), seq-first, torch's stacked weights.
Bug: the stacked gates are unpacked as i, f, o, g (the CS231n order); torch packs them i, f, g, o.
"""
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    T = x.shape[0]
    h, c = h0, c0
    outs = []
    for t in range(T):
        gates = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, o, g = np.split(gates, 4, axis=-1)
        i, f, o = sigmoid(i), sigmoid(f), sigmoid(o)
        g = np.tanh(g)
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs), (h, c)
