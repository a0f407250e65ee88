"""Bob: reads the gate blocks as i, f, o, g (torch packs i, f, g, o): catalogue id gate_order."""
import torch


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    h, c = initial_states
    outputs = []
    for x in input:
        gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, o, g = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        outputs.append(h)
    return torch.stack(outputs), (h, c)
