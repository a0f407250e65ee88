"""RIGHT. An LSTM that takes h0 but no c0 (the cell state starts at zero). Issue 20: backward failed on
'grad hx (c0)' and continuation on c_n, though the signature cannot take c0."""
import torch


def lstm_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    h = h0
    c = torch.zeros_like(h0)
    outputs = []
    for t in range(x.shape[0]):
        i, f, g, o = (x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
