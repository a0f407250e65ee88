"""RIGHT. A TorchScript module (torch.jit.ScriptModule with a script_method forward) holding torch.nn's
names. Issue 20: 'The stateless API can't be used with Jitted modules', blamed on the implementation.
Its weights are copied in by name; its input is annotated torch.Tensor, so packed sequences are not asked."""
import torch
from torch import nn


class ScriptedRNN(torch.jit.ScriptModule):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.empty(hidden_size))

    @torch.jit.script_method
    def forward(self, x: torch.Tensor, h0: torch.Tensor):
        h = h0[0]
        steps = []
        for t in range(x.size(0)):
            h = torch.tanh(x[t] @ self.weight_ih_l0.t() + self.bias_ih_l0 + h @ self.weight_hh_l0.t() + self.bias_hh_l0)
            steps.append(h)
        return torch.stack(steps), h.unsqueeze(0)
