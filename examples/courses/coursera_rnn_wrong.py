"""coursera_rnn.py with two mistakes learners make, one per entry.

``rnn_cell_forward`` leaves out the bias ``ba``; ``rnn_forward`` feeds the initial state ``a0`` to
every step instead of the previous step's state (the state is never carried).
"""
import numpy as np

import coursera_rnn
from coursera_rnn import softmax


def rnn_cell_forward(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Wax"] @ xt + parameters["Waa"] @ a_prev)  # mistake: no + ba
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    states, predictions, caches = [], [], []
    for t in range(x.shape[2]):
        a_t, y_t, cache = coursera_rnn.rnn_cell_forward(x[:, :, t], a0, parameters)  # mistake: a0 at every step
        states.append(a_t)
        predictions.append(y_t)
        caches.append(cache)
    return np.stack(states, axis=2), np.stack(predictions, axis=2), (caches, x)
