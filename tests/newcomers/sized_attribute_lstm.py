"""RIGHT, with an output layer made the identity. A numpy LSTM class over one unbatched sequence (T, I)
whose constructor takes ``(n_input, n_hidden, n_output)`` and makes its own per-gate weights on
``[h, x]`` (``Wf``...) and per-gate column biases (``bf`` of shape (H, 1)). Found on public code, in
two idioms: refused twice, once for the size of its own and once for its attributes, with ``bi`` (gate
i's bias beside ``bf``, ``bc``, ``bo``) given as both whole biases, and column biases given as vectors.
One refusal must give one line that declares both, each bias as its gate's and as a column."""
import numpy as np


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


class GateLSTM:
    def __init__(self, n_input, n_hidden, n_output):
        joined = n_hidden + n_input
        self.Wf, self.Wi = np.zeros((n_hidden, joined)), np.zeros((n_hidden, joined))
        self.Wc, self.Wo = np.zeros((n_hidden, joined)), np.zeros((n_hidden, joined))
        self.bf, self.bi = np.zeros((n_hidden, 1)), np.zeros((n_hidden, 1))
        self.bc, self.bo = np.zeros((n_hidden, 1)), np.zeros((n_hidden, 1))
        self.Wy, self.by = np.zeros((n_output, n_hidden)), np.zeros((n_output, 1))

    def forward(self, x):
        h = np.zeros((self.Wf.shape[0], 1), dtype=x.dtype)
        c = np.zeros_like(h)
        ys = []
        for step in x:
            z = np.vstack([h, step.reshape(-1, 1)])
            f = _sigmoid(self.Wf @ z + self.bf)
            i = _sigmoid(self.Wi @ z + self.bi)
            c = f * c + i * np.tanh(self.Wc @ z + self.bc)
            h = _sigmoid(self.Wo @ z + self.bo) * np.tanh(c)
            ys.append((self.Wy @ h + self.by).ravel())
        return np.stack(ys), h.ravel(), c.ravel()
