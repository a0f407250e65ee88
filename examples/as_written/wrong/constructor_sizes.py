"""constructor_sizes.py with one mistake: the state goes through a ReLU where torch.nn's RNN has tanh.
(Leaving out h2h's bias would not be one: a single bias vector is bias_ih + bias_hh, as torch.nn adds them.)

    pytest --rnn-impl examples/as_written/wrong/constructor_sizes.py:SimpleRNN
"""
import torch
import torch.nn as nn


class SimpleRNN(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.i2h = nn.Linear(input_dim, hidden_dim)
        self.h2h = nn.Linear(hidden_dim, hidden_dim)

    def forward(self, x, h=None):
        """x: (batch, time, input_dim); h: (batch, hidden_dim) or None."""
        batch, steps, _ = x.shape
        if h is None:
            h = x.new_zeros(batch, self.hidden_dim)
        states = []
        for t in range(steps):
            h = torch.relu(self.i2h(x[:, t]) + self.h2h(h))
            states.append(h)
        return torch.stack(states, dim=1), h
