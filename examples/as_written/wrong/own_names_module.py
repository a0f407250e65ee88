"""own_names_module.py with one mistake: the gate chunks are read i, f, o, g (another course's order),
while the weights are stacked i, f, g, o as torch.nn stacks them.

    pytest --rnn-impl examples/as_written/wrong/own_names_module.py:MyLSTM
"""
import torch
import torch.nn as nn


class MyLSTM(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.W_x = nn.Parameter(torch.randn(input_size, 4 * hidden_size) * 0.1)
        self.W_h = nn.Parameter(torch.randn(hidden_size, 4 * hidden_size) * 0.1)
        self.b = nn.Parameter(torch.zeros(4 * hidden_size))

    def forward(self, x, state=None):
        """x: (T, B, D) or (T, D); state: (h, c), each (B, H) or (H,), or None for zeros."""
        if state is None:
            zeros = x.new_zeros(*x.shape[1:-1], self.hidden_size)  # (B, H), or (H,) for one unbatched sequence
            state = (zeros, zeros)
        h, c = state
        outputs = []
        for x_t in x:
            i, f, o, g = (x_t @ self.W_x + h @ self.W_h + self.b).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs), (h, c)
