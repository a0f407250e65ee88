"""Ground truth for examples/courses, without the plugin: each file is run on data laid out by hand
in its course's convention and compared with torch.nn; every right one must match, every wrong one
must not. ``python examples/courses/_verify_courses.py`` exits 0 when all do
(tests/test_course_conventions.py runs it).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).parent
INPUT, HIDDEN, BATCH, TIME = 4, 5, 3, 6


def load(stem: str):
    sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(f"_courses_{stem}", HERE / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().double().numpy()


def rnn_weights(module) -> dict:
    return {name: array(getattr(module, name)) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


def coursera_parameters(w: dict) -> dict:
    return {"Wax": w["weight_ih"], "Waa": w["weight_hh"], "ba": (w["bias_ih"] + w["bias_hh"])[:, None],
            "Wya": np.eye(HIDDEN), "by": np.zeros((HIDDEN, 1))}


def coursera_rnn_forward(stem: str) -> bool:
    torch.manual_seed(0)
    rnn = torch.nn.RNN(INPUT, HIDDEN).double()
    x, h0 = torch.randn(TIME, BATCH, INPUT).double(), torch.randn(1, BATCH, HIDDEN).double()
    expected = array(rnn(x, h0)[0])  # (T, B, H)
    w = {name: array(getattr(rnn, f"{name}_l0")) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    a, _, _ = load(stem).rnn_forward(array(x).transpose(2, 1, 0), array(h0[0]).T, coursera_parameters(w))
    return np.allclose(a.transpose(2, 1, 0), expected, atol=1e-10)


def coursera_rnn_cell(stem: str) -> bool:
    torch.manual_seed(1)
    cell = torch.nn.RNNCell(INPUT, HIDDEN).double()
    x, h = torch.randn(BATCH, INPUT).double(), torch.randn(BATCH, HIDDEN).double()
    a_next, _, _ = load(stem).rnn_cell_forward(array(x).T, array(h).T, coursera_parameters(rnn_weights(cell)))
    return np.allclose(a_next.T, array(cell(x, h)), atol=1e-10)


def coursera_lstm_cell(stem: str) -> bool:
    torch.manual_seed(2)
    cell = torch.nn.LSTMCell(INPUT, HIDDEN).double()
    x, h, c = (torch.randn(BATCH, n).double() for n in (INPUT, HIDDEN, HIDDEN))
    h1, c1 = cell(x, (h, c))
    w = rnn_weights(cell)
    blocks = {gate: slice(k * HIDDEN, (k + 1) * HIDDEN) for k, gate in enumerate("ifco")}  # torch packs i, f, g, o
    parameters = {"Wy": np.eye(HIDDEN), "by": np.zeros((HIDDEN, 1))}
    for gate, rows in blocks.items():
        parameters[f"W{gate}"] = np.concatenate([w["weight_hh"][rows], w["weight_ih"][rows]], axis=1)
        parameters[f"b{gate}"] = (w["bias_ih"][rows] + w["bias_hh"][rows])[:, None]
    a_next, c_next, _, _ = load(stem).lstm_cell_forward(array(x).T, array(h).T, array(c).T, parameters)
    return np.allclose(a_next.T, array(h1), atol=1e-10) and np.allclose(c_next.T, array(c1), atol=1e-10)


def karpathy(stem: str) -> bool:
    torch.manual_seed(3)
    rnn = torch.nn.RNN(INPUT, HIDDEN).double()
    x, h0 = torch.randn(TIME, INPUT).double(), torch.randn(1, HIDDEN).double()
    expected = array(rnn(x, h0)[0])  # (T, H): one unbatched sequence
    w = {name: array(getattr(rnn, f"{name}_l0")) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    xs = [array(x[t])[:, None] for t in range(TIME)]
    hs, last = load(stem).forward(xs, array(h0).T, w["weight_ih"], w["weight_hh"],
                                  (w["bias_ih"] + w["bias_hh"])[:, None])
    return np.allclose(np.stack([h[:, 0] for h in hs]), expected, atol=1e-10) and np.allclose(last[:, 0], expected[-1])


def step_list(stem: str) -> bool:
    torch.manual_seed(4)
    rnn = torch.nn.RNN(INPUT, HIDDEN).double()
    x, h0 = torch.randn(TIME, BATCH, INPUT).double(), torch.randn(1, BATCH, HIDDEN).double()
    expected = rnn(x, h0)[0]
    outputs, _ = load(stem).rnn_unrolled(x, h0[0], rnn.weight_ih_l0.T, rnn.weight_hh_l0.T,
                                         rnn.bias_ih_l0 + rnn.bias_hh_l0)
    return torch.allclose(torch.stack(outputs), expected, atol=1e-10)


#: (check, file stem, whether it must match torch.nn)
TABLE = [
    (coursera_rnn_forward, "coursera_rnn", True), (coursera_rnn_forward, "coursera_rnn_wrong", False),
    (coursera_rnn_cell, "coursera_rnn", True), (coursera_rnn_cell, "coursera_rnn_wrong", False),
    (coursera_lstm_cell, "coursera_lstm_cell", True), (coursera_lstm_cell, "coursera_lstm_cell_wrong", False),
    (karpathy, "karpathy_min_char", True), (karpathy, "karpathy_min_char_wrong", False),
    (step_list, "step_list", True), (step_list, "step_list_wrong", False),
]


def main() -> int:
    wrong = 0
    with torch.no_grad():
        for check, stem, right in TABLE:
            matches = check(stem)
            verdict = "ok" if matches == right else "WRONG"
            wrong += matches != right
            print(f"{verdict:5} {stem}.py {check.__name__}: {'matches' if matches else 'differs from'} torch.nn "
                  f"(expected to {'match' if right else 'differ'})")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
