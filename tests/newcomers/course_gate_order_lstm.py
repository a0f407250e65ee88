"""RIGHT, in a course's layout. A numpy LSTM over a batch-first sequence, written the way CS231n's
assignment asks: ``lstm_forward(x, h0, Wx, Wh, b)`` with ``Wx`` (D, 4H) used as ``x @ Wx``, the four
gates in the columns in the order i, f, o, g (torch.nn stacks i, f, g, o), the cell state starting at
zero, and ``(h, cache)`` returned. Found on public code: refused with two readings in torch.nn's order
and no line in the course's, so the user's only way through was ``auto``, which then failed ``forward``
(gate_order). The refusal must offer the course's order block by block as a line to declare, and
``auto`` must never adopt it: no gate order is assumed."""
import numpy as np


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_forward(x, h0, Wx, Wh, b):
    batch, steps, _ = x.shape
    size = h0.shape[1]
    h, c = h0, np.zeros_like(h0)
    hs = np.zeros((batch, steps, size), dtype=h0.dtype)
    for t in range(steps):
        a = x[:, t] @ Wx + h @ Wh + b
        i, f, o, g = (a[:, k * size:(k + 1) * size] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        hs[:, t] = h
    return hs, {"steps": steps}
