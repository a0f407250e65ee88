"""Coursera-style numpy RNN forward with a0 / Wax / Waa / ba names (Wax (n_a, n_x), rows are time-major
(T, m, n_x)); returns (a, caches).
Bug: a0 is accepted but the loop starts from a freshly zeroed a_prev.
"""
import numpy as np


def rnn_forward(x, a0, Wax, Waa, ba):
    T_x, m, n_x = x.shape
    n_a = Waa.shape[0]
    a = np.zeros((T_x, m, n_a))
    caches = []
    a_prev = np.zeros((m, n_a))
    for t in range(T_x):
        a_next = np.tanh(x[t] @ Wax.T + a_prev @ Waa.T + ba)
        a[t] = a_next
        caches.append((a_next, a_prev, x[t]))
        a_prev = a_next
    return a, caches
