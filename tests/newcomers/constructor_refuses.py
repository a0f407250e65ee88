"""RIGHT where it runs. A module whose constructor raises NotImplementedError for configurations it does
not support: only batch_first=True, bidirectional=True. Issue 20: the run aborted (exit 4) instead of
the refusals teaching the draws."""
import torch
from torch import nn


class BiGRU(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False):
        super().__init__()
        if not (batch_first and bidirectional) or num_layers != 1 or not bias:
            raise NotImplementedError("only batch_first=True, bidirectional=True, one layer with biases")
        self.hidden_size = hidden_size
        for suffix in ("", "_reverse"):
            self.register_parameter("weight_ih_l0" + suffix, nn.Parameter(torch.empty(3 * hidden_size, input_size)))
            self.register_parameter("weight_hh_l0" + suffix, nn.Parameter(torch.empty(3 * hidden_size, hidden_size)))
            self.register_parameter("bias_ih_l0" + suffix, nn.Parameter(torch.empty(3 * hidden_size)))
            self.register_parameter("bias_hh_l0" + suffix, nn.Parameter(torch.empty(3 * hidden_size)))

    def _run(self, x, h, suffix, reverse):
        w_ih, w_hh = getattr(self, "weight_ih_l0" + suffix), getattr(self, "weight_hh_l0" + suffix)
        b_ih, b_hh = getattr(self, "bias_ih_l0" + suffix), getattr(self, "bias_hh_l0" + suffix)
        steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
        outs = [None] * x.shape[1]
        for t in steps:
            r_i, z_i, n_i = (x[:, t] @ w_ih.T + b_ih).chunk(3, -1)
            r_h, z_h, n_h = (h @ w_hh.T + b_hh).chunk(3, -1)
            r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
            n = torch.tanh(n_i + r * n_h)
            h = (1 - z) * n + z * h
            outs[t] = h
        return torch.stack(outs, dim=1), h

    def forward(self, x, hx=None):
        if not isinstance(x, torch.Tensor) or x.dim() != 3:
            raise NotImplementedError("batched tensors only (no packed sequences)")
        if hx is None:
            hx = x.new_zeros(2, x.shape[0], self.hidden_size)
        out_f, h_f = self._run(x, hx[0], "", False)
        out_b, h_b = self._run(x, hx[1], "_reverse", True)
        return torch.cat([out_f, out_b], dim=-1), torch.stack([h_f, h_b])
