"""RIGHT. A GRU step written in Cho et al.'s notation: z = σ(Wz x + Uz h), r = σ(Wr x + Ur h),
ĥ = tanh(W x + U (r ⊙ h)) ... with torch.nn's reset placement (r applied after U's product, as nn.GRU
does: r ⊙ (U h + b)), weights stored (out, in), no biases. Issue 20: `auto` on Cho's names built wrong
concatenations; now W and U are the candidate's blocks beside Wz/Uz/Wr/Ur."""
import torch


def gru_cell(x, h, Wz, Uz, Wr, Ur, W, U):
    z = torch.sigmoid(x @ Wz.T + h @ Uz.T)
    r = torch.sigmoid(x @ Wr.T + h @ Ur.T)
    candidate = torch.tanh(x @ W.T + r * (h @ U.T))
    return (1 - z) * candidate + z * h
