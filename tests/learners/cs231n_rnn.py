"""CS231n-style numpy homework (assignment 3, rnn_layers.py): vanilla RNN step and sequence forward.
Correct. Batch-first x (N, T, D), Wx (D, H), Wh (H, H), a single bias b; returns (h, cache).
"""
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """x: (N, D), prev_h: (N, H) -> next_h: (N, H), cache for the backward pass."""
    next_h, cache = None, None
    affine = x.dot(Wx) + prev_h.dot(Wh) + b
    next_h = np.tanh(affine)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over a whole minibatch of sequences.

    x: (N, T, D), h0: (N, H). Returns h: (N, T, H) and the list of step caches.
    """
    h, cache = None, None
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(step_cache)
    return h, cache
