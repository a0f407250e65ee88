"""A one-layer LSTM, batch-first, that accepts an LSTMP projection weight.

Bug (catalogue id ``proj_missing``): the projection weight ``w_hr`` is never multiplied in.  The
author took "proj_size" to mean that the hidden state is cut down to its first ``proj_size``
units, ``h = (o * tanh(c))[:, :P]`` with ``P = w_hr.shape[0]``, so ``w_hr`` is used only for its
shape.  That keeps every shape valid (W_hh is (4H, P), output and h_n are P wide, c stays H wide)
but ignores the projection's values: with a projection every step is wrong, without one
(w_hr=None) the result is right.

Calling convention: by-name, one layer, one direction, batch-first, projection optional::

    lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)

``input`` is (B, T, I); ``initial_states`` is ``(h0, c0)``, h0 (B, Hout), c0 (B, H).  Returns
``(output (B, T, Hout), (h_n (B, Hout), c_n (B, H)))``.
"""
import torch


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    h, c = initial_states
    proj_size = w_hr.shape[0] if w_hr is not None else None
    outputs = []
    for t in range(input.size(1)):
        gates = torch.addmm(b_ih, input[:, t], w_ih.t()) + torch.addmm(b_hh, h, w_hh.t())
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        if proj_size is not None:
            h = h[:, :proj_size]  # keep proj_size units of the hidden state
        outputs.append(h)
    return torch.stack(outputs, dim=1), (h, c)
