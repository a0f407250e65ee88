"""RIGHT (batch-first). It calls a native routine that aborts the process when the layout is wrong.
Issue 20: 'layout probe stopped at the worker process died (killed by SIGABRT); assuming seq-first',
then forward failed with a wrong shape."""
import os

import torch


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    if x.shape[0] != h0.shape[0]:
        os.abort()  # what a native kernel does with a layout it does not check
    h = h0
    outs = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outs.append(h)
    return torch.stack(outs, dim=1), h
