"""An LSTM written in numpy, with an interface the binder does not know: `NumpyLSTM.apply`.

The conftest.py beside it adapts it (hook ``pytest_rnnconformance_adapt``), so the suite tests it:

    cd examples/hooks && pytest --rnn-impl numpy_lstm.py:NumpyLSTM
"""
import numpy as np


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


class NumpyLSTM:
    """One layer, seq-first: ``apply(weights, x, h, c) -> (outputs, h, c)`` on numpy arrays."""

    @staticmethod
    def apply(weights, x, h, c):
        w_ih, w_hh, b = weights["w_ih"], weights["w_hh"], weights["b"]
        outputs = []
        for step in x:
            i, f, g, o = np.split(step @ w_ih.T + h @ w_hh.T + b, 4, axis=-1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
            outputs.append(h)
        return np.stack(outputs), h, c
