"""WRONG on purpose: an LSTM that unpacks its gates as i, f, o, g (torch packs them i, f, g, o).

    pytest --rnn-impl examples/wrong/lstm_gate_order.py:lstm_forward     # fails: forward (gate_order); rows built on it blocked
"""
import torch


def lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh):
    h, c = initial_states
    outputs = []
    for x in input:
        i, f, o, g = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs), (h, c)
