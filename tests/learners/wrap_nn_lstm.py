"""Kaggle-notebook-style encoder that wraps nn.LSTM (constructor names input_dim / hidden_dim, batch-first).
Correct values, but it delegates to nn.LSTM on purpose.
"""
import torch.nn as nn


class SequenceEncoder(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.lstm = nn.LSTM(input_dim, hidden_dim, batch_first=True)

    def forward(self, x, hidden=None):
        out, (h_n, c_n) = self.lstm(x, hidden)
        return out, (h_n, c_n)
