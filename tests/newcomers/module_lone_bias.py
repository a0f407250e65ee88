"""RIGHT. An nn.Module whose only bias is named bias_hh: one vector can only be bias_ih + bias_hh.
Issue 20: forward failed [missing_bias_ih]."""
import torch
from torch import nn


class OneBiasRNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.randn(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.randn(hidden_size, hidden_size))
        self.bias_hh = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x, h0):
        h = h0[0]
        out = []
        for t in range(x.shape[0]):
            h = torch.tanh(x[t] @ self.weight_ih.T + h @ self.weight_hh.T + self.bias_hh)
            out.append(h)
        return torch.stack(out), h.unsqueeze(0)
