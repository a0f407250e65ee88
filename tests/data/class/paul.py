"""Paul: a correct LSTM that refuses projections (raises NotImplementedError when w_hr is given)."""
import torch


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    if w_hr is not None:
        raise NotImplementedError("projections are not implemented")
    h, c = initial_states
    outputs = []
    for x in input:
        gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
