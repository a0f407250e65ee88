"""An Elman RNN, one layer, that takes a ``batch_first`` flag and a nonlinearity.

Bug (catalogue id ``output_seq_first``): with ``batch_first=True`` the input is transposed to
(T, B, I) for the time loop, but the stacked output is returned as it comes out of the loop,
(T, B, H), instead of being transposed back to (B, T, H).  Every value and h_n are right; the
output has the wrong layout (a shape mismatch, or transposed values when T == B).  With
batch_first=False all is right.

Calling convention: by-name, one layer, one direction, with settings::

    rnn_forward(input, h0, w_ih, w_hh, b_ih, b_hh, batch_first=False, nonlinearity="tanh")

``input`` is (T, B, I), or (B, T, I) with batch_first; ``h0`` is (B, H).  Returns
``(output, h_n (B, H))``.
"""
import torch


def rnn_forward(input, h0, w_ih, w_hh, b_ih, b_hh, batch_first=False, nonlinearity="tanh"):
    act = torch.relu if nonlinearity == "relu" else torch.tanh
    x = input.transpose(0, 1) if batch_first else input
    h, outputs = h0, []
    for x_t in x:
        h = act(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outputs.append(h)
    return torch.stack(outputs), h
