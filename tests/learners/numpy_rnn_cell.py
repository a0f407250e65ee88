"""Numpy single-step RNN cell from a course notebook, with the course's own argument names.
Correct: x_t (N, D), h_t (N, H), Wx (D, H), Wh (H, H), separate biases bx and bh.
"""
import numpy as np


def rnn_cell(x_t, h_t, Wx, Wh, bx, bh):
    # new hidden state from the current input and the previous hidden state
    z = np.dot(x_t, Wx) + bx + np.dot(h_t, Wh) + bh
    h_next = np.tanh(z)
    return h_next
