"""GRU cell written straight from the nn.GRU documentation's equations, one tensor per gate with the
docs' names (W_ir, W_hr, b_in, b_hn, ...). Correct.
"""
import torch


def gru_cell(x, h_prev, W_ir, W_iz, W_in, W_hr, W_hz, W_hn, b_ir, b_iz, b_in, b_hr, b_hz, b_hn):
    r = torch.sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    n = torch.tanh(x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))
    h_next = (1 - z) * n + z * h_prev
    return h_next
