"""d2l.ai-style RNNScratch nn.Module (W_xh, W_hh, b_h stored (in, out)), seq-first.
Bug: the loop writes the new state to H but keeps reading `state`, so every step starts from h0.
"""
import torch
import torch.nn as nn


class RNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs = num_inputs
        self.num_hiddens = num_hiddens
        self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        if state is None:
            state = inputs.new_zeros((inputs.shape[1], self.num_hiddens))
        outputs = []
        for X in inputs:
            H = torch.tanh(torch.matmul(X, self.W_xh) +
                           torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(H)
        return torch.stack(outputs), H
