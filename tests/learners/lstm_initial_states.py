"""Homework-style torch LSTM with verbose state names (initial_hidden_state, initial_cell_state),
stacked weights W_x (D, 4H), W_h (H, 4H), one bias b, gates in torch's order i, f, g, o, seq-first. Correct.
"""
import torch


def lstm_forward(inputs, initial_hidden_state, initial_cell_state, W_x, W_h, b):
    h, c = initial_hidden_state, initial_cell_state
    H = h.shape[-1]
    hidden_states = []
    for x_t in inputs:
        z = x_t @ W_x + h @ W_h + b
        i = torch.sigmoid(z[:, :H])
        f = torch.sigmoid(z[:, H:2 * H])
        g = torch.tanh(z[:, 2 * H:3 * H])
        o = torch.sigmoid(z[:, 3 * H:])
        c = f * c + i * g
        h = o * torch.tanh(c)
        hidden_states.append(h)
    return torch.stack(hidden_states), (h, c)
