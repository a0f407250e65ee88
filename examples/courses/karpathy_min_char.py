"""The forward pass of a minimal character-level RNN, in that classic's style (numpy).

Everything is a column vector: each input ``xs[t]`` is (I, 1) (a one-hot character there; any
vector here), the state (H, 1). States are kept in a dict by time step, with the initial one
under the key -1, so that step 0 reads ``hs[t - 1]`` like every other. Returns the list of states,
one per step, and the last one (the next call's ``hprev``).

    pytest --rnn-impl examples/courses/karpathy_min_char.py:forward \
      --rnn-bind "xs=input.reshape(T,I,1),hprev=hx.reshape(H,1),Wxh=weight_ih,Whh=weight_hh,bh=(bias_ih+bias_hh).reshape(H,1)" \
      --rnn-returns "output_list,h_n.reshape(H,1)"
"""
import numpy as np


def forward(xs, hprev, Wxh, Whh, bh):
    hs = {-1: np.copy(hprev)}
    for t in range(len(xs)):
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
    return [hs[t] for t in range(len(xs))], hs[len(xs) - 1]
