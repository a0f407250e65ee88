"""RIGHT, with names nobody can read alone. An RNN module keeping its weights in nn.ParameterLists
(W_x[k], W_h[k], b[k] per layer). Issue 20: the ready line `--rnn-bind "W_x.0=?,W_h.0=?,b.0=?"` could
not be parsed (numeric path components); now each line parses as printed, and the one declared here
makes it pass."""
import torch
from torch import nn


class ListRNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.W_x = nn.ParameterList([nn.Parameter(torch.empty(input_size, hidden_size))])
        self.W_h = nn.ParameterList([nn.Parameter(torch.empty(hidden_size, hidden_size))])
        self.b = nn.ParameterList([nn.Parameter(torch.empty(hidden_size))])

    def forward(self, x, h0):
        h = h0[0]
        steps = []
        for x_t in x:
            h = torch.tanh(x_t @ self.W_x[0] + h @ self.W_h[0] + self.b[0])
            steps.append(h)
        return torch.stack(steps), h.unsqueeze(0)
