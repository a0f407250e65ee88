"""A one-layer LSTM, seq-first, with h0 and c0 passed separately.

Bug (catalogue id ``initial_state_ignored``, the cell-state form): h0 is used, but the cell state
starts from ``torch.zeros_like(c0)`` -- c0 is ignored ("the memory starts empty").  With a zero
c0 everything is right; otherwise every output and both final states differ from t=0 on.

Calling convention: by-name, one layer, one direction, seq-first, separate h0 and c0::

    lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)

``x`` is (T, B, I), ``h0`` and ``c0`` are (B, H).  Returns ``(output (T, B, H), (h_n, c_n))``.
"""
import torch


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    h, c = h0, torch.zeros_like(c0)
    outputs = []
    for x_t in x:
        gates = x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
