"""Hand-written GRU following the nn.GRU docs, written for batch-first data only.
Correct; seq-first input is refused with NotImplementedError.
"""
import torch


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first=True):
    if not batch_first:
        raise NotImplementedError("only batch_first=True is supported")
    B, T, _ = x.shape
    h = h0
    outputs = []
    for t in range(T):
        gi = x[:, t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
