"""A one-layer GRU, batch-first, written the way the Keras/TensorFlow documentation lays it out.

Bug (catalogue id ``gate_order``): the three gate blocks of ``w_ih``/``w_hh`` (and of the biases)
are unpacked as update, reset, new (z, r, n) -- Keras' order -- whereas torch.nn stacks them as
reset, update, new (r, z, n).  The reset and update gates therefore trade places: the block torch
uses as the reset gate drives the interpolation and vice versa.  Outputs are wrong from t=0.

Calling convention: by-name, one layer, one direction, batch-first::

    gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)

``x`` is (B, T, I), ``h0`` is (B, H) (no layer dimension).  Returns ``(output (B, T, H), h_n (B, H))``.
"""
import torch


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    batch, steps, _ = x.shape
    h = h0
    outputs = []
    for t in range(steps):
        gi = x[:, t, :] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        i_z, i_r, i_n = gi.chunk(3, dim=1)
        h_z, h_r, h_n = gh.chunk(3, dim=1)
        z = torch.sigmoid(i_z + h_z)
        r = torch.sigmoid(i_r + h_r)
        n = torch.tanh(i_n + r * h_n)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
