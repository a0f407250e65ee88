"""Own GRU nn.Module with nn.Linear x2h / h2h (3 * hidden each, torch's r, z, n order), seq-first.
Bug: when h is None it builds torch.zeros(batch, hidden) in the default dtype (float32); float64 input
with the state omitted then fails in the h2h matmul (float32 @ float64).
"""
import torch
import torch.nn as nn


class MyGRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.x2h = nn.Linear(input_size, 3 * hidden_size)
        self.h2h = nn.Linear(hidden_size, 3 * hidden_size)

    def forward(self, x, h=None):
        if h is None:
            h = torch.zeros(x.size(1), self.hidden_size)
        outputs = []
        for x_t in x:
            x_r, x_z, x_n = self.x2h(x_t).chunk(3, 1)
            h_r, h_z, h_n = self.h2h(h).chunk(3, 1)
            r = torch.sigmoid(x_r + h_r)
            z = torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
            h = (1 - z) * n + z * h
            outputs.append(h)
        return torch.stack(outputs), h
