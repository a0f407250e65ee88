"""Numpy LSTM step in the style of "Understanding LSTMs" blog posts: one weight matrix per gate of shape
(n_h, n_h + n_x), applied to the concatenation [h_prev, x]. Correct.
"""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step(x, h_prev, c_prev, Wf, bf, Wi, bi, Wc, bc, Wo, bo):
    # x: (batch, n_x), h_prev / c_prev: (batch, n_h)
    concat = np.concatenate([h_prev, x], axis=1)

    f = sigmoid(concat @ Wf.T + bf)          # forget gate
    i = sigmoid(concat @ Wi.T + bi)          # input gate
    c_tilde = np.tanh(concat @ Wc.T + bc)    # candidate cell
    c_next = f * c_prev + i * c_tilde
    o = sigmoid(concat @ Wo.T + bo)          # output gate
    h_next = o * np.tanh(c_next)
    return h_next, c_next
