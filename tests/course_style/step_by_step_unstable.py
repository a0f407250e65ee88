"""WRONG where the probe does not look: step_by_step.py with tanh written out with exponentials.

Equal to torch.nn on ordinary inputs, so the course's layout is proven as for the right file; but
``(e^2z - 1) / (e^2z + 1)`` is inf / inf, NaN, once a pre-activation passes about 44 in float32
(torch.tanh gives 1). ``edge_cases`` owns the mistake and names it ``unstable_activation``.
"""
import numpy as np


def tanh(z):
    return (np.exp(2 * z) - 1) / (np.exp(2 * z) + 1)


def rnn_cell_forward(xt, a_prev, parameters):
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters["ba"]
    a_next = tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev) + ba)
    return a_next, np.dot(parameters["Wya"], a_next) + parameters["by"], (a_next, a_prev, xt)


def rnn_forward(x, a0, parameters):
    steps, caches = [], []
    a_next = a0
    for t in range(x.shape[2]):
        a_next, _, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        steps.append(a_next)
        caches.append(cache)
    a = np.stack(steps, axis=2)
    return a, np.einsum("ya,amt->ymt", parameters["Wya"], a) + parameters["by"][:, :, None], caches
