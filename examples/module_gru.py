"""A drop-in GRU module with torch.nn.GRU's constructor and parameter names.

    pytest --rnn-impl examples/module_gru.py:MyGRU
"""
import math

import torch
from torch import nn


class MyGRU(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False):
        super().__init__()
        self.hidden_size, self.num_layers, self.bias, self.dropout = hidden_size, num_layers, bias, dropout
        self.batch_first, self.directions = batch_first, 2 if bidirectional else 1
        bound = 1 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * self.directions
            for suffix in ["", "_reverse"][: self.directions]:
                name = f"_l{layer}{suffix}"
                shapes = {"weight_ih": (3 * hidden_size, width), "weight_hh": (3 * hidden_size, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(3 * hidden_size,), bias_hh=(3 * hidden_size,))
                for kind, shape in shapes.items():
                    self.register_parameter(kind + name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def _step(self, x, h, name):
        gi = x @ getattr(self, "weight_ih" + name).T
        gh = h @ getattr(self, "weight_hh" + name).T
        if self.bias:
            gi = gi + getattr(self, "bias_ih" + name)
            gh = gh + getattr(self, "bias_hh" + name)
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h

    def forward(self, input, hx=None):
        if not isinstance(input, torch.Tensor):
            raise NotImplementedError("packed sequences")
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        if hx is None:
            hx = x.new_zeros(self.num_layers * self.directions, x.shape[1], self.hidden_size)
        elif unbatched:
            hx = hx.unsqueeze(1)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(["", "_reverse"][: self.directions]):
                h = hx[layer * self.directions + d]
                steps = range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])
                out = [None] * x.shape[0]
                for t in steps:
                    h = self._step(x[t], h, f"_l{layer}{suffix}")
                    out[t] = h
                outs.append(torch.stack(out))
                finals.append(h)
            x = torch.cat(outs, dim=-1)
            if self.training and layer < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)  # between layers, as torch.nn
        h_n = torch.stack(finals)
        if unbatched:
            return x.squeeze(1), h_n.squeeze(1)
        return (x.transpose(0, 1) if self.batch_first else x), h_n
