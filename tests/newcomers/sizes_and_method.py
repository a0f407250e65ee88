"""RIGHT. A module built from sizes named n_in / n_hidden, whose entry point is a method other than
forward (`file.py:Module.run_sequence`). Issue 20: n_in/n_hidden were unknown names, and
Module.method found 'none' of the module's parameters. Its input is annotated torch.Tensor: no
PackedSequence is asked of it."""
import torch
from torch import nn


class TinyRNN(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.empty(n_hidden, n_in))
        self.weight_hh_l0 = nn.Parameter(torch.empty(n_hidden, n_hidden))
        self.bias_ih_l0 = nn.Parameter(torch.empty(n_hidden))
        self.bias_hh_l0 = nn.Parameter(torch.empty(n_hidden))

    def run_sequence(self, x: torch.Tensor, hx):
        h = hx[0]
        outputs = []
        for x_t in x:
            h = torch.tanh(x_t @ self.weight_ih_l0.T + self.bias_ih_l0 + h @ self.weight_hh_l0.T + self.bias_hh_l0)
            outputs.append(h)
        return torch.stack(outputs), h.unsqueeze(0)
