"""A one-layer LSTM, batch-first, with an optional projection, that applies one activation to
all four gate blocks at once.

Bug (catalogue id ``wrong_gate_activation``): ``torch.sigmoid(gates)`` is taken over the whole
(B, 4H) gate tensor before it is split, so the candidate g goes through a sigmoid too instead of
tanh (the "all-sigmoid LSTM").  Gate order (i, f, g, o), the cell update and h = o * tanh(c) are
right.  g lands in (0, 1) instead of (-1, 1): every output and state differ from t=0 on.

Calling convention: by-name, one layer, one direction, batch-first::

    lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)

``input`` is (B, T, I); ``initial_states`` is ``(h0, c0)``, h0 (B, Hout) and c0 (B, H), without
the layer dimension; ``w_hr`` (P, H) is the optional LSTMP projection.  Returns
``(output (B, T, Hout), (h_n (B, Hout), c_n (B, H)))``.
"""
import torch


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    h, c = initial_states
    outputs = []
    for t in range(input.shape[1]):
        gates = torch.sigmoid(input[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        i, f, g, o = gates.chunk(4, dim=1)
        c = f * c + i * g
        h = o * torch.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        outputs.append(h)
    return torch.stack(outputs, dim=1), (h, c)
