"""A one-layer LSTM, seq-first, with the cell step factored out into a function.

Bug (catalogue id ``state_not_carried``): inside the time loop the cell is called with the
*initial* states ``h0, c0`` at every step instead of the previous step's ``h, c``; the new state
is computed but never fed back.  So each output depends on its own input and h0 only.  The first
step is right (and so is everything when T == 1); from t=1 on outputs and final states are wrong.

Calling convention: by-name, one layer, one direction, seq-first, separate h0 and c0::

    lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)

``x`` is (T, B, I), ``h0`` and ``c0`` are (B, H).  Returns ``(output (T, B, H), (h_n, c_n))``.
"""
import torch


def lstm_cell(x_t, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh):
    gates = x_t @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    c_t = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
    h_t = torch.sigmoid(o) * torch.tanh(c_t)
    return h_t, c_t


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    outputs = []
    h_t, c_t = h0, c0
    for t in range(x.shape[0]):
        h_t, c_t = lstm_cell(x[t], h0, c0, w_ih, w_hh, b_ih, b_hh)
        outputs.append(h_t)
    return torch.stack(outputs), (h_t, c_t)
