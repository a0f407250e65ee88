"""Lecture-notes torch RNN with the course's own names rnn(seq, hidden, Wx, Wh, bx, bh), seq-first,
weights stored (out, in) as in the slides' "W x". Correct.
"""
import torch


def rnn(seq, hidden, Wx, Wh, bx, bh):
    outputs = []
    for x in seq:
        hidden = torch.tanh(x @ Wx.T + bx + hidden @ Wh.T + bh)
        outputs.append(hidden)
    return torch.stack(outputs), hidden
