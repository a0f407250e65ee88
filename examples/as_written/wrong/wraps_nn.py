"""wraps_nn.py with one mistake: forward takes h0 and never passes it on, so the GRU always starts
from zeros.

    pytest --rnn-impl examples/as_written/wrong/wraps_nn.py:GRUEncoder --rnn-allow-builtin
"""
import torch.nn as nn


class GRUEncoder(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super().__init__()
        self.gru = nn.GRU(input_dim, hidden_dim, batch_first=True)

    def forward(self, x, h0=None):
        output, h_n = self.gru(x)
        return output, h_n
