"""The tensors handed to the implementation, by the names a learner knows them by.

Three readers need the same names: the in-process runner (what a call changed in its private copy,
for ``purity``), the gradients taken where the implementation ran (with respect to each of them),
and the oracles' gradients (the same names, so the two sides are compared name by name).
"""
from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence


def named_input_tensors(inputs) -> dict:
    """Every tensor handed to the implementation, by the name a learner knows it by."""
    named = {"the input": inputs.input.data if isinstance(inputs.input, PackedSequence) else inputs.input}
    if isinstance(inputs.hx, tuple):
        named["hx (h0)"], named["hx (c0)"] = inputs.hx
    elif inputs.hx is not None:
        named["hx (h0)"] = inputs.hx
    named.update({f"`{name}`": value for name, value in inputs.params.items()})
    return named


def mutations(original, given, versions: dict) -> list:
    """What the implementation changed in its copy: 'modified `bias_hh_l0` in place'."""
    before, after = named_input_tensors(original), named_input_tensors(given)
    changed = []
    for name, tensor in after.items():
        original_tensor = before[name]
        same = tensor.shape == original_tensor.shape and (
            torch.equal(tensor, original_tensor)  # the usual case, in one operation
            or torch.equal(tensor.detach().nan_to_num(), original_tensor.detach().nan_to_num()))  # NaN == NaN
        if not same:
            changed.append(f"modified {name} in place")
        elif tensor._version != versions[name]:
            changed.append(f"wrote to {name} in place (same values)")
    return changed
