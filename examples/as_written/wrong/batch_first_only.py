"""batch_first_only.py with one mistake: the reset gate is applied to h before the recurrent matrix
product (the original paper's variant), where torch.nn applies it after: r * (W_hn h + b_hn).

    pytest --rnn-impl examples/as_written/wrong/batch_first_only.py:gru_forward
"""
import torch


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first=True):
    """x: (batch, time, input); h0: (batch, hidden). Returns (output (batch, time, hidden), h_n)."""
    if not batch_first:
        raise NotImplementedError("only batch_first=True input is supported")
    H = h0.shape[-1]
    h = h0
    outputs = []
    for t in range(x.shape[1]):
        x_r, x_z, x_n = (x[:, t] @ w_ih.T + b_ih).chunk(3, dim=-1)
        h_r, h_z, _ = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
