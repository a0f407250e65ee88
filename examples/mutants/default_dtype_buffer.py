"""A one-layer GRU, seq-first, that preallocates its output tensor and fills it step by step.

Bug (catalogue id ``default_dtype_buffer``): the output buffer is made with
``torch.zeros(seq_len, batch, hidden)`` -- no ``dtype=`` (nor ``device=``) -- so it has torch's
default dtype, float32, whatever the input's dtype.  Writing each step's float64 state into it
rounds it to float32: for float64 input the output comes back float32 (and carries float32
rounding); h_n, computed outside the buffer, keeps the input's dtype.  For float32 input
everything is right.

Calling convention: by-name, one layer, one direction, seq-first::

    gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)

``x`` is (T, B, I), ``h0`` is (B, H).  Returns ``(output (T, B, H), h_n (B, H))``.
"""
import torch


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    seq_len, batch, _ = x.shape
    hidden = w_hh.shape[1]
    outputs = torch.zeros(seq_len, batch, hidden)
    h = h0
    for t in range(seq_len):
        r_x, z_x, n_x = (x[t] @ w_ih.T + b_ih).chunk(3, dim=1)
        r_h, z_h, n_h = (h @ w_hh.T + b_hh).chunk(3, dim=1)
        r = torch.sigmoid(r_x + r_h)
        z = torch.sigmoid(z_x + z_h)
        n = torch.tanh(n_x + r * n_h)
        h = (1 - z) * n + z * h
        outputs[t] = h
    return outputs, h
