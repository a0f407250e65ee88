"""per_gate.py with one mistake: the candidate C_tilde goes through sigmoid, where torch.nn uses tanh.

    pytest --rnn-impl examples/as_written/wrong/per_gate.py:lstm_forward --rnn-bind auto
"""
import torch


def lstm_forward(X, h0, c0, W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c):
    """X: (T, B, D); h0, c0: (B, H). Returns (outputs (T, B, H), (h_n, c_n))."""
    H, C = h0, c0
    outputs = []
    for x in X:
        I = torch.sigmoid(x @ W_xi + H @ W_hi + b_i)
        F = torch.sigmoid(x @ W_xf + H @ W_hf + b_f)
        O = torch.sigmoid(x @ W_xo + H @ W_ho + b_o)
        C_tilde = torch.sigmoid(x @ W_xc + H @ W_hc + b_c)
        C = F * C + I * C_tilde
        H = O * torch.tanh(C)
        outputs.append(H)
    return torch.stack(outputs), (H, C)
