"""RIGHT, in the sequence-models course's conventions. A numpy RNN over a time-last, column-major
sequence whose ``parameters`` is a dict of the course's keys, looked up in a helper for one step
(``Wax``, ``Waa``, ``ba``) and in the loop (``Wya``, ``by``). Found on public code: refused with
``--rnn-bind "parameters={Wya: weight_ih, ...}"``, a line that cannot be parsed; the course's convention
is now read whole, every key the code looks up in its dict, and its layout proven."""
import numpy as np


def step(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Wax"] @ xt + parameters["Waa"] @ a_prev + parameters["ba"])
    return a_next, parameters["Wya"] @ a_next + parameters["by"]


def rnn_forward(x, a0, parameters):
    n_y = parameters.get("Wya").shape[0]
    a = np.zeros((a0.shape[0], x.shape[1], x.shape[2]))
    y = np.zeros((n_y, x.shape[1], x.shape[2]))
    a_t = a0
    for t in range(x.shape[2]):
        a_t, y[:, :, t] = step(x[:, :, t], a_t, parameters)
        a[:, :, t] = a_t
    return a, y
