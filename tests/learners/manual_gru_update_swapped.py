"""Plain (non-nn.Module) torch class holding torch's GRU weights, written from a textbook GRU formula, seq-first.
Bug: the update follows the textbook's h = (1 - z) * h + z * n; torch computes h = (1 - z) * n + z * h.
"""
import torch


class ManualGRU:
    def __init__(self, w_ih, w_hh, b_ih, b_hh):
        self.w_ih, self.w_hh = w_ih, w_hh
        self.b_ih, self.b_hh = b_ih, b_hh

    def __call__(self, x, h0):
        return self.forward(x, h0)

    def forward(self, x, h0):
        h = h0
        outputs = []
        for x_t in x:
            gi = torch.addmm(self.b_ih, x_t, self.w_ih.t())
            gh = torch.addmm(self.b_hh, h, self.w_hh.t())
            i_r, i_z, i_n = gi.chunk(3, dim=1)
            h_r, h_z, h_n = gh.chunk(3, dim=1)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            h = (1 - z) * h + z * n
            outputs.append(h)
        return torch.stack(outputs), h
