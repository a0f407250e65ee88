"""A module that wraps nn.GRU (the usual "compare with PyTorch's" exercise): constructor sizes
input_dim / hidden_dim, batch-first, the state optional.

    pytest --rnn-impl examples/as_written/wraps_nn.py:GRUEncoder

Its values are right and no_delegation fails: it calls torch's own GRU kernel, which the assignment
was to write. Run with --rnn-allow-builtin when wrapping is what you meant.
"""
import torch.nn as nn


class GRUEncoder(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super().__init__()
        self.gru = nn.GRU(input_dim, hidden_dim, batch_first=True)

    def forward(self, x, h0=None):
        output, h_n = self.gru(x, h0)
        return output, h_n
