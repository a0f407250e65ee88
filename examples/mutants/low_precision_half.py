"""A one-layer GRU, seq-first, that runs in float16 "to halve the memory".

Bug (catalogue id ``low_precision``): the input, h0 and all weights are converted with
``.half()`` and the whole recurrence runs in float16; only the results are converted back to the
input's dtype with ``.to(x.dtype)``.  Dtypes and shapes are right, but the values carry float16
rounding (about 1e-3 relative, growing with T), far beyond what float32 or float64 allow.

Calling convention: by-name, one layer, one direction, seq-first::

    gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)

``x`` is (T, B, I), ``h0`` is (B, H).  Returns ``(output (T, B, H), h_n (B, H))``.
"""
import torch


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    dtype = x.dtype
    x, h = x.half(), h0.half()
    w_ih, w_hh, b_ih, b_hh = w_ih.half(), w_hh.half(), b_ih.half(), b_hh.half()
    H = h.shape[-1]
    outputs = []
    for x_t in x:
        gi = x_t @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = torch.sigmoid(gi[:, :H] + gh[:, :H])
        z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs).to(dtype), h.to(dtype)
