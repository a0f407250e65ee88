"""A GRU written for batch-first data only, which says so: seq-first input raises NotImplementedError.
The suite learns from the refusal and checks it batch-first; layout is unsupported, with its words.

    pytest --rnn-impl examples/as_written/batch_first_only.py:gru_forward
"""
import torch


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first=True):
    """x: (batch, time, input); h0: (batch, hidden). Returns (output (batch, time, hidden), h_n)."""
    if not batch_first:
        raise NotImplementedError("only batch_first=True input is supported")
    h = h0
    outputs = []
    for t in range(x.shape[1]):
        x_r, x_z, x_n = (x[:, t] @ w_ih.T + b_ih).chunk(3, dim=-1)
        h_r, h_z, h_n = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
