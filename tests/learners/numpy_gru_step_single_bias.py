"""Numpy GRU step from a from-scratch tutorial: stacked (in, out) weights, gates z, r, n, ONE bias b (3H,).
Bug against torch.nn: with a single bias the n-gate's hidden bias sits outside the reset gate,
n = tanh(x W_n + r * (h U_n) + b_n), where torch computes r * (W_hn h + b_hn).
"""
import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def gru_step(x_t, h_prev, w_x, w_h, b):
    h = h_prev.shape[1]
    z = sigmoid(x_t @ w_x[:, :h] + h_prev @ w_h[:, :h] + b[:h])
    r = sigmoid(x_t @ w_x[:, h:2 * h] + h_prev @ w_h[:, h:2 * h] + b[h:2 * h])
    n = np.tanh(x_t @ w_x[:, 2 * h:] + r * (h_prev @ w_h[:, 2 * h:]) + b[2 * h:])
    h_t = (1.0 - z) * n + z * h_prev
    return h_t
