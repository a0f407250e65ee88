"""RIGHT, in its own convention. A GRU step whose ``weights`` is a dict of the learner's own keys,
no course's (``Wz``, ``Uz``, ``bz``, ... as in ``z = sigmoid(Wz x + Uz h + bz)``). Issue 20: such a
dict was silently bound as torch.nn's named-parameter dict, then 'raised KeyError', a crash blamed on
correct code. No course's convention reads these keys, so it is refused with the reason and a line
naming every key."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gru_cell(x, h, weights):
    z = sigmoid(x @ weights["Wz"].T + h @ weights["Uz"].T + weights["bz"])
    r = sigmoid(x @ weights["Wr"].T + h @ weights["Ur"].T + weights["br"])
    n = np.tanh(x @ weights["Wn"].T + weights["bin"] + r * (h @ weights["Un"].T + weights["bhn"]))
    return (1 - z) * n + z * h
