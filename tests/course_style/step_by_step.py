"""RIGHT, written here in the sequence-models course's style (no code copied): numpy, column-major.

A step takes ``xt`` (n_x, m) and ``a_prev`` (n_a, m); a sequence ``x`` is (n_x, m, T_x), time last.
The weights are a ``parameters`` dict of the course's keys, biases as columns (n_a, 1); the LSTM's
gates are applied to ``[a_prev; xt]``. Results: ``(a_next, yt_pred, cache)``, ``(a, y_pred, caches)``,
``(a_next, c_next, yt_pred, cache)`` and ``(a, y, c, caches)``. No ``--rnn-bind`` is needed: the keys
are the course's, and the solver proves the course's layout against torch.nn's row-major ones.
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def rnn_cell_forward(xt, a_prev, parameters):
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters["ba"]
    Wya, by = parameters["Wya"], parameters["by"]
    a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev) + ba)
    yt_pred = softmax(np.dot(Wya, a_next) + by)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, m, T_x), dtype=x.dtype)
    y_pred = np.zeros((n_y, m, T_x), dtype=x.dtype)
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    p = parameters
    stacked = np.concatenate((a_prev, xt), axis=0)
    forget = sigmoid(np.dot(p["Wf"], stacked) + p["bf"])
    update = sigmoid(np.dot(p["Wi"], stacked) + p["bi"])
    candidate = np.tanh(np.dot(p["Wc"], stacked) + p["bc"])
    c_next = forget * c_prev + update * candidate
    out = sigmoid(np.dot(p["Wo"], stacked) + p["bo"])
    a_next = out * np.tanh(c_next)
    yt_pred = softmax(np.dot(p["Wy"], a_next) + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, forget, update, candidate, out, xt, p)


def lstm_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a = np.zeros((n_a, m, T_x), dtype=x.dtype)
    c = np.zeros((n_a, m, T_x), dtype=x.dtype)
    y = np.zeros((n_y, m, T_x), dtype=x.dtype)
    a_next, c_next = a0, np.zeros_like(a0)
    caches = []
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_next, yt
        caches.append(cache)
    return a, y, c, (caches, x)
