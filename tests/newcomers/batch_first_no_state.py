"""RIGHT. A canonical batch-first-only function that takes no initial state. Issue 20: 'the
implementation refused its own base configuration, which forward must check'."""
import torch


def forward(input, params, spec):
    if spec.mode != "rnn":
        raise NotImplementedError("an Elman RNN only")
    if not spec.batch_first:
        raise NotImplementedError("only batch_first=True")
    if spec.num_layers != 1 or spec.bidirectional or not spec.bias or spec.nonlinearity != "tanh":
        raise NotImplementedError("one tanh layer, one direction, with biases")
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences")
    x = input if input.dim() == 3 else input.unsqueeze(0)
    h = torch.zeros(x.shape[0], spec.hidden_size, dtype=x.dtype)
    outs = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ params["weight_ih_l0"].T + params["bias_ih_l0"]
                       + h @ params["weight_hh_l0"].T + params["bias_hh_l0"])
        outs.append(h)
    out = torch.stack(outs, dim=1)
    h_n = h.unsqueeze(0)
    if input.dim() == 2:
        return out.squeeze(0), h_n.squeeze(1)
    return out, h_n
