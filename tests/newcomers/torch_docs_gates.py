"""RIGHT. An LSTM cell with one nn.Linear per gate and side, named as torch's LSTM documentation names
the blocks (W_ii, W_hi, W_if, ...). Issue 20: the binder's guess for these was made of '?'."""
import torch
from torch import nn


class DocsLSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        for gate in "ifgo":
            setattr(self, f"W_i{gate}", nn.Linear(input_size, hidden_size))
            setattr(self, f"W_h{gate}", nn.Linear(hidden_size, hidden_size))

    def forward(self, x, state):
        h, c = state
        i = torch.sigmoid(self.W_ii(x) + self.W_hi(h))
        f = torch.sigmoid(self.W_if(x) + self.W_hf(h))
        g = torch.tanh(self.W_ig(x) + self.W_hg(h))
        o = torch.sigmoid(self.W_io(x) + self.W_ho(h))
        c = f * c + i * g
        return o * torch.tanh(c), c
