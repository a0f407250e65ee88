"""RIGHT. An LSTM cell module with one ``nn.Linear`` a side, ``input_weight`` and ``hidden_weight``;
only the hidden side has a bias. Found on public code (the same idiom, other names): the refusal's
line gave the lone bias as ``bias_hh``, and that line failed ``forward`` (missing_bias_ih). One bias
can only be both."""
import torch
from torch import nn


class OneBiasLSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_weight = nn.Linear(input_size, 4 * hidden_size, bias=False)
        self.hidden_weight = nn.Linear(hidden_size, 4 * hidden_size)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = (self.input_weight(x) + self.hidden_weight(h)).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
