"""Shared scaffolding of the reordered examples: layers, directions, layouts, states.

Only the cell differs between the examples (how each computes one step); this file runs any such
cell over torch.nn's interface so the four files stay about one idea each.
"""
import torch


def run(input, hx, params, spec, cell):
    """torch.nn's interface around `cell(x_t, state, weights, spec) -> state` (state[0] is h)."""
    if not isinstance(input, torch.Tensor):
        raise NotImplementedError("packed sequences")
    unbatched = input.dim() == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if spec.batch_first else input)
    directions = 2 if spec.bidirectional else 1
    sizes = [spec.proj_size or spec.hidden_size] + ([spec.hidden_size] if spec.mode == "lstm" else [])
    if hx is None:
        states = [x.new_zeros(spec.num_layers * directions, x.shape[1], size) for size in sizes]
    else:
        states = list(hx) if spec.mode == "lstm" else [hx]
        states = [s.unsqueeze(1) for s in states] if unbatched else states
    finals = [[] for _ in sizes]
    for layer in range(spec.num_layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            weights = {name[: -len(suffix)]: value for name, value in params.items() if name.endswith(suffix)}
            state = tuple(s[layer * directions + direction] for s in states)
            steps = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
            out = [None] * x.shape[0]
            for t in steps:
                state = cell(x[t], state, weights, spec)
                out[t] = state[0]
            outputs.append(torch.stack(out))
            for k, s in enumerate(state):
                finals[k].append(s)
        x = torch.cat(outputs, -1)
    final = [torch.stack(f) for f in finals]
    if unbatched:
        x, final = x.squeeze(1), [f.squeeze(1) for f in final]
    elif spec.batch_first:
        x = x.transpose(0, 1)
    return x, (tuple(final) if spec.mode == "lstm" else final[0])


def activate(spec, pre):
    return torch.relu(pre) if spec.mode == "rnn" and spec.nonlinearity == "relu" else torch.tanh(pre)
