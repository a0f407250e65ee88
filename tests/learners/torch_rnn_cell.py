"""Functional Elman cell mirroring nn.RNNCell's arguments (optional biases, tanh or relu).
Correct.
"""
import torch


def rnn_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    pre = input @ w_ih.t() + hx @ w_hh.t()
    if b_ih is not None:
        pre = pre + b_ih
    if b_hh is not None:
        pre = pre + b_hh
    if nonlinearity == "tanh":
        return torch.tanh(pre)
    elif nonlinearity == "relu":
        return torch.relu(pre)
    raise ValueError(f"unknown nonlinearity {nonlinearity}")
