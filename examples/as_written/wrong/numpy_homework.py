"""numpy_homework.py with one mistake: every step starts again from h0 (the new state is stored in
the output but never carried), so the result is right only for one time step.

    pytest --rnn-impl examples/as_written/wrong/numpy_homework.py:rnn_forward \
        --rnn-bind "Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh" --rnn-returns "output,_"
"""
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, next_h)


def rnn_forward(x, h0, Wx, Wh, b):
    """x: (N, T, D), h0: (N, H), Wx: (D, H), Wh: (H, H), b: (H,). Returns h: (N, T, H) and the cache."""
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]), dtype=x.dtype)
    cache = []
    for t in range(T):
        next_h, step_cache = rnn_step_forward(x[:, t, :], h0, Wx, Wh, b)
        h[:, t, :] = next_h
        cache.append(step_cache)
    return h, cache
