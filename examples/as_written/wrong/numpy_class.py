"""numpy_class.py with one mistake: the textbook update h = (1 - z) * h + z * n, where torch.nn keeps
z for the old state: h = (1 - z) * n + z * h.

    pytest --rnn-impl examples/as_written/wrong/numpy_class.py:NumpyGRU
"""
import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


class NumpyGRU:
    def __init__(self, w_ih, w_hh, b_ih, b_hh):
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = w_ih, w_hh, b_ih, b_hh

    def forward(self, x, h0):
        """x: (T, B, D), h0: (B, H) -> (outputs (T, B, H), h_n (B, H))."""
        H = h0.shape[-1]
        h = h0
        outputs = []
        for x_t in x:
            gi = x_t @ self.w_ih.T + self.b_ih
            gh = h @ self.w_hh.T + self.b_hh
            r = sigmoid(gi[:, :H] + gh[:, :H])
            z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            h = (1 - z) * h + z * n
            outputs.append(h)
        return np.stack(outputs), h
