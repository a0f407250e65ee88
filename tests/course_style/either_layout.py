"""AMBIGUOUS: a step with the course's keys that guesses its layout from its input's shape, turning
``(m, n_x)`` into ``(n_x, m)``, and returns its new state the way round it was given. Wherever its
sizes tell the layouts apart (the probe's do: batch 2, input 5, hidden 4) both the course's
column-major reading and torch.nn's row-major one reproduce torch.nn, so which one the learner means
is not proven: the run stops (exit 4) with a line for each. (Where the batch equals the input size,
its guess is wrong: a reason no guess may choose for it.)
"""
import numpy as np


def rnn_cell_forward(xt, a_prev, parameters):
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters["ba"]
    rows = xt.shape[0] != Wax.shape[1]  # (m, n_x): torch.nn's row-major layout
    if rows:
        xt, a_prev = xt.T, a_prev.T
    a_next = np.tanh(Wax @ xt + Waa @ a_prev + ba.reshape(-1, 1))
    return a_next.T if rows else a_next
