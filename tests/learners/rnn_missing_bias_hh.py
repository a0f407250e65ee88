"""Elman RNN in torch written from the nn.RNN docs formula, batch-first.
Bug: b_hh is accepted but never added (only b_ih is used).
"""
import torch


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    batch, seq_len, _ = x.shape
    h = h0
    outputs = []
    for t in range(seq_len):
        h = torch.tanh(x[:, t, :] @ w_ih.T + b_ih + h @ w_hh.T)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
