"""An Elman RNN (tanh), one layer, seq-first, with tanh written out from its definition.

Bug (catalogue id ``unstable_activation``): tanh is computed as (e^{2x} - 1) / (e^{2x} + 1).  It is
exact for moderate x, but e^{2x} overflows to inf once x passes about 44 in float32 (355 in
float64, 5.5 in float16), and inf / inf is NaN where torch.tanh saturates at 1.  Only inputs
driven far into saturation (or an inf in the input) show it.

Calling convention: by-name, one layer, one direction, seq-first::

    rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh)

``x`` is (T, B, I), ``h0`` is (B, H).  Returns ``(output (T, B, H), h_n (B, H))``.
"""
import torch


def tanh(x):
    grown = torch.exp(2 * x)
    return (grown - 1) / (grown + 1)


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    h, outputs = h0, []
    for step in x:
        h = tanh(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outputs.append(h)
    return torch.stack(outputs), h
