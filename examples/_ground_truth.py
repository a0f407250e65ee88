"""What the example verifiers share: torch.nn's answer for given weights, the weights moved the way a
named mistake moves them, and a comparison that says how far apart two results are.

Not an example. Imported by examples/as_written/_verify_as_written.py, examples/wrong/_verify_wrong.py
and examples/reordered/_verify_reordered.py, which prove each example's verdict against torch.nn on
their own: torch and numpy only, never the plugin, so a bug in the plugin cannot hide in them.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import torch

#: sizes all different and at least 2, so that no transposition or mix-up goes unseen
TIME, BATCH, INPUT, HIDDEN = 5, 3, 4, 6
#: float64 results that agree to this are the same computation
TOL = 1e-9
#: a result "differs" only by more than this (far above any rounding)
DIFFERS = 1e-4
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def load(path: Path, name: str | None = None):
    """The file at ``path`` as a module (its folder importable, as pytest --rnn-impl makes it)."""
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name or f"example_{path.parent.name}_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def weights(mode: str, seed: int) -> dict:
    """torch.nn's layer-0 weights for ``mode`` (rnn, lstm, gru), float64, by their short names."""
    torch.manual_seed(seed)
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[mode](INPUT, HIDDEN)
    return {name: getattr(module, name + "_l0").detach().double() for name in NAMES}


def draw(*shape: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale


def nn_run(mode: str, w: dict, x: torch.Tensor, h0: torch.Tensor | None, c0: torch.Tensor | None = None,
           batch_first: bool = False, nonlinearity: str = "tanh") -> dict:
    """torch.nn.RNN/LSTM/GRU with the layer-0 weights ``w`` on ``x``; the states without the layer
    dimension, in and out ((batch, hidden), or (hidden,) for an unbatched sequence)."""
    extra = {"nonlinearity": nonlinearity} if mode == "rnn" else {}
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[mode](
        INPUT, HIDDEN, batch_first=batch_first, **extra).to(x.dtype)
    with torch.no_grad():
        for name in NAMES:
            getattr(module, name + "_l0").copy_(w[name])
        hx = None if h0 is None else (h0.unsqueeze(0), c0.unsqueeze(0)) if mode == "lstm" else h0.unsqueeze(0)
        output, states = module(x, hx)
    if mode == "lstm":
        return {"output": output, "h_n": states[0].squeeze(0), "c_n": states[1].squeeze(0)}
    return {"output": output, "h_n": states.squeeze(0)}


def nn_cell(mode: str, w: dict, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None = None) -> dict:
    """torch.nn.RNNCell/LSTMCell/GRUCell with the weights ``w``: one step."""
    module = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[mode](
        INPUT, HIDDEN).double()
    with torch.no_grad():
        for name in NAMES:
            getattr(module, name).copy_(w[name])
        out = module(x, (h, c) if mode == "lstm" else h)
    return {"h": out[0], "c": out[1]} if mode == "lstm" else {"h": out}


def gates(w: dict, mode: str, name: str) -> list:
    """The gate blocks of one of torch.nn's stacked tensors (i, f, g, o / r, z, n)."""
    return list(w[name].chunk(GATES[mode], 0))


def regated(w: dict, mode: str, blocks) -> dict:
    """Weights whose gate block k is torch.nn's block ``blocks[k]``: how gate mix-ups are modelled
    (torch.nn with regated weights computes what the mistaken code computes with the real ones)."""
    return {name: torch.cat([gates(w, mode, name)[k] for k in blocks]) for name in w}


def scaled_gate(w: dict, mode: str, block: int, factor: float) -> dict:
    """Weights with one gate block multiplied by ``factor`` (-1 turns sigmoid(a) into 1 - sigmoid(a))."""
    out = {}
    for name in w:
        parts = gates(w, mode, name)
        parts[block] = parts[block] * factor
        out[name] = torch.cat(parts)
    return out


def tensor(value) -> torch.Tensor:
    """A result as a tensor (numpy arrays read as they are)."""
    return torch.from_numpy(np.asarray(value)) if not isinstance(value, torch.Tensor) else value.detach()


def distance(got: dict, want: dict) -> float:
    """The largest absolute difference over the tensors ``got`` holds; inf if a shape differs."""
    worst = 0.0
    for name, value in got.items():
        value, expected = tensor(value), want[name]
        if tuple(value.shape) != tuple(expected.shape):
            return float("inf")
        worst = max(worst, (value.double() - expected.double()).abs().max().item())
    return worst


class Verdicts:
    """Claims about the examples, each checked and printed; the problems counted for the exit status."""

    def __init__(self):
        self.problems = 0

    def claim(self, name: str, holds: bool, says: str) -> None:
        self.problems += not holds
        print(f"{'ok ' if holds else 'PROBLEM'} {name:28} {says}")

    def matches(self, name: str, got: dict, want: dict, says: str, tol: float = TOL) -> None:
        error = distance(got, want)
        self.claim(name, error <= tol, f"{says}: max|err| {error:.2g} (<= {tol:g})")

    def differs(self, name: str, got: dict, want: dict, says: str) -> None:
        error = distance(got, want)
        self.claim(name, error > DIFFERS, f"{says}: max|err| {error:.2g} (> {DIFFERS:g})")

    def refuses(self, name: str, call, says: str, raised=NotImplementedError, words: str = "") -> None:
        try:
            call()
        except raised as error:
            self.claim(name, words in str(error), f"{says}: {type(error).__name__}: {error}")
        else:
            self.claim(name, False, f"{says}: nothing raised")
