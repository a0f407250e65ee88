"""single_cell.py with one mistake: the chunks are unpacked i, f, o, g; torch.nn packs i, f, g, o.

    pytest --rnn-impl examples/as_written/wrong/single_cell.py:lstm_cell
"""
import torch


def lstm_cell(x, hc, w_ih, w_hh, b_ih, b_hh):
    """x: (B, D) or (D,); hc: (h, c), each (B, H) or (H,). Returns (h_1, c_1)."""
    h, c = hc
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, o, g = gates.chunk(4, dim=-1)
    c_1 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_1 = torch.sigmoid(o) * torch.tanh(c_1)
    return h_1, c_1
