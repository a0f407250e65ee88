"""Numpy RNN class fed torch's weights, seq-first batched input, that stores them "as (in, out)".
Bug: the weights are turned into (in, out) with reshape instead of a transpose.
"""
import numpy as np


class NumpyRNN:
    def __init__(self, w_ih, w_hh, b_ih, b_hh):
        hidden_size, input_size = w_ih.shape
        # x @ W needs (in, out)
        self.W_x = w_ih.reshape(input_size, hidden_size)
        self.W_h = w_hh.reshape(hidden_size, hidden_size)
        self.b = b_ih + b_hh

    def forward(self, x, h0):
        h = h0
        outputs = []
        for x_t in x:
            h = np.tanh(x_t @ self.W_x + h @ self.W_h + self.b)
            outputs.append(h)
        return np.stack(outputs), h
