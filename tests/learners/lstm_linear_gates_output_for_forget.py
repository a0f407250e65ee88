"""PyTorch module with two nn.Linear per gate (x-side and h-side, both with bias), seq-first, state (h, c).
Bug: the cell update uses the output gate where the forget gate belongs (c = o * c + i * g).
"""
import torch
import torch.nn as nn


class LinearLSTM(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.x_i, self.h_i = nn.Linear(input_size, hidden_size), nn.Linear(hidden_size, hidden_size)
        self.x_f, self.h_f = nn.Linear(input_size, hidden_size), nn.Linear(hidden_size, hidden_size)
        self.x_g, self.h_g = nn.Linear(input_size, hidden_size), nn.Linear(hidden_size, hidden_size)
        self.x_o, self.h_o = nn.Linear(input_size, hidden_size), nn.Linear(hidden_size, hidden_size)

    def forward(self, x, state):
        h, c = state
        outputs = []
        for x_t in x:
            gate = {name: act(getattr(self, "x_" + name)(x_t) + getattr(self, "h_" + name)(h))
                    for name, act in (("i", torch.sigmoid), ("f", torch.sigmoid), ("g", torch.tanh),
                                      ("o", torch.sigmoid))}
            c = gate["o"] * c + gate["i"] * gate["g"]
            h = gate["o"] * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs), (h, c)
