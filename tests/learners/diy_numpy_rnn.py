"""Numpy class written to reproduce nn.RNN(bias=False) by hand, one unbatched sequence at a time
(the "DiyModel vs TorchRNN" exercise). Correct: no bias, h0 always zero, x is (T, D).
"""
import numpy as np


class DiyModel:
    def __init__(self, w_ih, w_hh, hidden_size):
        # weights copied from the torch model's state_dict, same shapes as torch
        self.w_ih = w_ih
        self.w_hh = w_hh
        self.hidden_size = hidden_size

    def forward(self, x):
        ht = np.zeros((self.hidden_size))
        output = []
        for xt in x:
            ux = np.dot(self.w_ih, xt)
            wh = np.dot(self.w_hh, ht)
            ht = np.tanh(ux + wh)
            output.append(ht)
        return np.array(output), ht
