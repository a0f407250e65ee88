"""WRONG on purpose: a drop-in RNN module, right in every value, that returns h_n as (batch, hidden)
for one layer instead of torch.nn's (1, batch, hidden).

    pytest --rnn-impl examples/wrong/module_shape_hn.py:SqueezedRNN     # fails: shape; packed and combined error (packed or unbatched input raises)
"""
import torch
from torch import nn


class SqueezedRNN(nn.Module):
    def __init__(self, input_size, hidden_size, bias=True, batch_first=False):
        super().__init__()
        self.batch_first = batch_first
        self.weight_ih_l0 = nn.Parameter(torch.randn(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.randn(hidden_size, hidden_size))
        self.bias = bias
        if bias:
            self.bias_ih_l0 = nn.Parameter(torch.randn(hidden_size))
            self.bias_hh_l0 = nn.Parameter(torch.randn(hidden_size))

    def forward(self, input, hx=None):
        x = input.transpose(0, 1) if self.batch_first else input
        h = x.new_zeros(x.shape[1], self.weight_hh_l0.shape[0]) if hx is None else hx[0]
        outputs = []
        for step in x:
            pre = step @ self.weight_ih_l0.T + h @ self.weight_hh_l0.T
            if self.bias:
                pre = pre + self.bias_ih_l0 + self.bias_hh_l0
            h = torch.tanh(pre)
            outputs.append(h)
        output = torch.stack(outputs)
        return (output.transpose(0, 1) if self.batch_first else output), h
