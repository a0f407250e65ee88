"""Register a peephole LSTM (Gers & Schmidhuber, 2000) so the conformance suite can test it.

torch.nn has no peephole LSTM, so there is nothing to compare with unless we say what it computes.
The ``pytest_rnnconformance_register_cells`` hook does that: it names the cell, says how many gate
blocks its weights stack (4, in torch.nn's LSTM order i, f, g, o), that its state is (h, c), which
weights it adds to every layer and direction, and gives one step of its equations. From then on
``--rnn-mode peephole_lstm`` is a mode like ``lstm``: layers, directions, layouts, packed input,
gradients, dtypes... all checked against this step run in float64.

Run, in this folder:  pytest --rnn-impl peephole_lstm.py:forward  (docs/hooks.md says more)
"""
from __future__ import annotations

import torch

from pytest_rnnconformance import CellType
from pytest_rnnconformance.reference.cells import Cell, project_with_both_biases


def peephole_lstm_step(gi, state, weights):
    """One step; ``gi = x W_ihᵀ + b_ih + b_hh`` is precomputed for all steps. The gates also see c::

        i = σ(gi_i + h W_hiᵀ + w_ci ⊙ c)
        f = σ(gi_f + h W_hfᵀ + w_cf ⊙ c)
        g = tanh(gi_g + h W_hgᵀ)
        c' = f ⊙ c + i ⊙ g
        o = σ(gi_o + h W_hoᵀ + w_co ⊙ c')      the output gate looks at the *new* cell state
        h' = o ⊙ tanh(c')
    """
    h, c = state
    i, f, g, o = torch.addmm(gi, h, weights.weight_hh.T).chunk(4, dim=-1)
    peephole = weights.extra
    i = torch.sigmoid(i + peephole["weight_ci"] * c)
    f = torch.sigmoid(f + peephole["weight_cf"] * c)
    c = f * c + i * torch.tanh(g)
    o = torch.sigmoid(o + peephole["weight_co"] * c)
    h = o * torch.tanh(c)
    return h, (h, c)


PEEPHOLE_LSTM = CellType(
    name="peephole_lstm",
    title="peephole LSTM",
    gates=4,
    cell_state=True,
    extra_weights={name: (lambda hidden: (hidden,)) for name in ("weight_ci", "weight_cf", "weight_co")},
    cell=Cell(project_with_both_biases, peephole_lstm_step),
)


def pytest_rnnconformance_register_cells(config):
    return [PEEPHOLE_LSTM]
