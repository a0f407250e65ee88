"""karpathy_min_char.py with one mistake: every step reads the initial state ``hprev`` instead of
the previous step's (the state is never carried)."""
import numpy as np


def forward(xs, hprev, Wxh, Whh, bh):
    hs = {-1: np.copy(hprev)}
    for t in range(len(xs)):
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hprev) + bh)  # mistake: hs[t - 1]
    return [hs[t] for t in range(len(xs))], hs[len(xs) - 1]
