"""A one-layer GRU following the equations of Cho et al. (2014), seq-first.

Bug (catalogue id ``gru_reset_before_matmul``): the reset gate is applied to the previous hidden
state *before* the recurrent matmul of the new gate,
``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``.  torch.nn (like cuDNN) applies it after:
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.  With biases the two differ from t=0 (r scales
b_hn in torch.nn); without biases they agree only while h is zero.

Calling convention: by-name, one layer, one direction, seq-first, biases optional::

    gru_forward(input, h0, w_ih, w_hh, b_ih=None, b_hh=None)

``input`` is (T, B, I), ``h0`` is (B, H).  Returns ``(output (T, B, H), h_n (B, H))``.
"""
import torch


def gru_forward(input, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    hidden_size = w_hh.shape[0] // 3
    W_ir, W_iz, W_in = w_ih.split(hidden_size, dim=0)
    W_hr, W_hz, W_hn = w_hh.split(hidden_size, dim=0)
    if b_ih is None:
        b_ih = input.new_zeros(3 * hidden_size)
    if b_hh is None:
        b_hh = input.new_zeros(3 * hidden_size)
    b_ir, b_iz, b_in = b_ih.split(hidden_size)
    b_hr, b_hz, b_hn = b_hh.split(hidden_size)

    h = h0
    outputs = []
    for x_t in input.unbind(0):
        r = torch.sigmoid(x_t @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_t @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        n = torch.tanh(x_t @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs, 0), h
