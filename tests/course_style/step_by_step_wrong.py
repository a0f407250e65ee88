"""WRONG where the probe looks: step_by_step.py's rnn_forward feeding ``a0`` to every step.

The course's column-major reading runs and differs from torch.nn; torch.nn's row-major readings
raise. A reading that ran and differs is no likelier than one that raised (code written row-major,
with a mistake, raises too), so the run stops (exit 4) with each reading as a complete line; run
with the course's line, ``forward`` fails and names ``state_not_carried``.
"""
import numpy as np


def rnn_forward(x, a0, parameters):
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters["ba"]
    states = []
    for t in range(x.shape[2]):
        states.append(np.tanh(np.dot(Wax, x[:, :, t]) + np.dot(Waa, a0) + ba))  # mistake: a0, not the last state
    return np.stack(states, axis=2), None, states
