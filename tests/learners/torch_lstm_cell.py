"""TorchScript-tutorial-style LSTM cell as a plain function with torch's stacked weights.
Correct: lstm_cell(x, hidden, w_ih, w_hh, b_ih, b_hh) -> (hy, cy), gates chunked i, f, g, o.
"""
import torch


def lstm_cell(x, hidden, w_ih, w_hh, b_ih, b_hh):
    hx, cx = hidden
    gates = torch.mm(x, w_ih.t()) + b_ih + torch.mm(hx, w_hh.t()) + b_hh
    ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)

    ingate = torch.sigmoid(ingate)
    forgetgate = torch.sigmoid(forgetgate)
    cellgate = torch.tanh(cellgate)
    outgate = torch.sigmoid(outgate)

    cy = (forgetgate * cx) + (ingate * cellgate)
    hy = outgate * torch.tanh(cy)
    return hy, cy
