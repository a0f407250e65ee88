"""True verdicts of the public implementations, established without the plugin.

Each checker loads one cached implementation, feeds it torch.nn's weights through the mapping its
manifest entry declares (written by hand from reading the code: transposes, gate blocks, [h, x]
concatenations, column vectors), and compares what it returns with torch.nn's own module or cell on the
same input, in float64. A ``wrong`` entry is shown to differ (or to crash) where torch.nn does not, with
the mistake it makes checked by the numbers (a saturated input for an exp-written tanh, input_size !=
hidden_size for transposed weights); a ``different`` entry is shown to differ from torch.nn while being
equal to its own formula; a ``not_checkable`` entry is shown not to load or not to be callable.

Nothing here imports the plugin.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

I, H, B, T = 3, 4, 2, 5
TOLERANCE = 1e-9
GATES = {"lstm": "ifgo", "gru": "rzn"}


@dataclass
class Established:
    """What the checker found: the verdict, the evidence in one line, and whether float32 stays float32."""

    verdict: str
    evidence: str
    keeps_float32: bool = True


# ------------------------------------------------------------------------------------------ loading


@contextlib.contextmanager
def inside(folder: Path):
    """Run with folder as the working directory and first on sys.path, printing silenced."""
    old_cwd, old_path = os.getcwd(), list(sys.path)
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path


def load(folder: Path, target: str):
    """The object a --rnn-impl target names, loaded from the entry's cache folder (file, module or notebook)."""
    location, _, name = target.rpartition(":")
    with inside(folder):
        if location.endswith(".ipynb"):
            namespace = run_notebook_until(folder / location, name)
            return namespace[name]
        if location.endswith(".py"):
            spec = importlib.util.spec_from_file_location(Path(location).stem.replace("-", "_"), folder / location)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(location)
        return getattr(module, name)


def run_notebook_until(path: Path, name: str) -> dict:
    """Execute a notebook's code cells up to the last one defining `name` (IPython lines dropped)."""
    cells = [("".join(cell["source"])) for cell in json.loads(path.read_text())["cells"]
             if cell["cell_type"] == "code"]
    last = max(index for index, source in enumerate(cells) if f"def {name}(" in source)
    namespace: dict = {"__name__": "__notebook__"}
    for source in cells[: last + 1]:
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        exec(compile(code, str(path), "exec"), namespace)
    return namespace


# ------------------------------------------------------------------------------------------ torch.nn


def reference(kind: str, nonlinearity: str = "tanh", input_size: int = I) -> nn.Module:
    """A float64 torch.nn module or cell with random weights and biases (seeded)."""
    torch.manual_seed(0)
    classes = {"rnn_cell": nn.RNNCell, "lstm_cell": nn.LSTMCell, "gru_cell": nn.GRUCell,
               "rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
    extra = {"nonlinearity": nonlinearity} if kind in ("rnn", "rnn_cell") else {}
    module = classes[kind](input_size, H, **extra).double()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.uniform_(-0.8, 0.8)
    return module


def weights(module: nn.Module) -> dict[str, np.ndarray]:
    """A cell's or a one-layer module's weights under torch's short names, as numpy arrays."""
    found = {}
    for name, value in module.named_parameters():
        found[name.removesuffix("_l0")] = value.detach().numpy().copy()
    return found


def gate(tensor: np.ndarray, mode: str, letter: str) -> np.ndarray:
    """One gate's block of a stacked torch weight or bias (rows)."""
    order = GATES[mode]
    size = tensor.shape[0] // len(order)
    start = order.index(letter) * size
    return tensor[start:start + size]


def on_hx(w: dict, mode: str, letter: str) -> np.ndarray:
    """A gate's weight applied to [h, x] (hidden columns first), as the course's Wf."""
    return np.concatenate([gate(w["weight_hh"], mode, letter), gate(w["weight_ih"], mode, letter)], axis=1)


def summed(w: dict, mode: str, letter: str) -> np.ndarray:
    return gate(w["bias_ih"], mode, letter) + gate(w["bias_hh"], mode, letter)


def stacked(w: dict, name: str, mode: str, order: str) -> np.ndarray:
    """A weight or bias re-stacked in another gate order (i f o g for CS231n)."""
    return np.concatenate([gate(w[name], mode, letter) for letter in order], axis=0)


def rng_inputs(scale: float = 1.0, batch: int = B, steps: int = T, input_size: int = I):
    generator = np.random.default_rng(1)
    x = generator.uniform(-1, 1, (steps, batch, input_size)) * scale
    h0 = generator.uniform(-1, 1, (batch, H))
    c0 = generator.uniform(-1, 1, (batch, H))
    return x, h0, c0


def run_sequence(module: nn.Module, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None):
    """torch.nn's (output, h_n, c_n) for a seq-first batch, states without the layer dimension."""
    state = torch.from_numpy(h0)[None]
    if isinstance(module, nn.LSTM):
        state = (state, torch.from_numpy(c0)[None])
    with torch.no_grad():
        output, final = module(torch.from_numpy(x), state)
    if isinstance(module, nn.LSTM):
        return output.numpy(), final[0][0].numpy(), final[1][0].numpy()
    return output.numpy(), final[0].numpy(), None


def step(cell: nn.Module, x: np.ndarray, h: np.ndarray, c: np.ndarray | None = None):
    with torch.no_grad():
        if isinstance(cell, nn.LSTMCell):
            h1, c1 = cell(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
            return h1.numpy(), c1.numpy()
        return cell(torch.from_numpy(x), torch.from_numpy(h)).numpy(), None


def gap(*pairs) -> float:
    """The largest absolute difference over pairs of arrays (inf where a shape differs, nan kept as inf)."""
    worst = 0.0
    for got, want in pairs:
        got, want = (np.asarray(a.detach() if isinstance(a, torch.Tensor) else a, dtype=np.float64)
                     for a in (got, want))
        if got.shape != want.shape:
            return float("inf")
        difference = np.abs(got - want)
        worst = max(worst, float("inf") if np.isnan(difference).any() else float(difference.max()))
    return worst


def equal(*pairs) -> bool:
    return gap(*pairs) <= TOLERANCE


def as_tensor_module(module: nn.Module, assignments: dict[str, np.ndarray]) -> nn.Module:
    """Copy arrays into a module's parameters by dotted name (float64)."""
    module = module.double()
    parameters = dict(module.named_parameters())
    with torch.no_grad():
        for name, value in assignments.items():
            parameters[name].copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return module


def unbatched_default_state(model, kind: str) -> str:
    """What a cell returns for one unbatched input with its state omitted ("" where torch.nn's shape (H,))."""
    with torch.no_grad():
        result = model(torch.from_numpy(rng_inputs()[0][0][0]))
    first = result[0] if isinstance(result, tuple) else result
    return "" if tuple(first.shape) == (H,) else f"unbatched input, state omitted: h_1 {tuple(first.shape)}, torch.nn's ({H},)"


def right_unless(defect: str, ok: bool, evidence: str) -> Established:
    """right where the values agree and no defect was found; wrong with the defect otherwise."""
    if not ok:
        return Established("UNEXPECTED: differs", evidence)
    return Established("wrong", f"{evidence}; but {defect}") if defect else Established("right", evidence)


def verdict_right(ok: bool, evidence: str, keeps_float32: bool = True) -> Established:
    return Established("right" if ok else "UNEXPECTED: differs", evidence, keeps_float32)


def float32_kept(result) -> bool:
    first = result[0] if isinstance(result, (tuple, list)) else result
    return getattr(first, "dtype", None) in (np.float32, torch.float32)


# ------------------------------------------------------------------------------------------ checkers
# One per manifest key. Each returns what it established.


def rnn_step_in_out(fn) -> Established:
    cell = reference("rnn_cell")
    w = weights(cell)
    x, h0, _ = rng_inputs()
    got = fn(x[0], h0, w["weight_ih"].T, w["weight_hh"].T, w["bias_ih"] + w["bias_hh"])
    got = got[0] if isinstance(got, tuple) else got
    want, _ = step(cell, x[0], h0)
    unbatched = fn(x[0][0], h0[0], w["weight_ih"].T, w["weight_hh"].T, w["bias_ih"] + w["bias_hh"])
    unbatched = unbatched[0] if isinstance(unbatched, tuple) else unbatched
    f32 = fn(x[0].astype(np.float32), h0.astype(np.float32), *(a.astype(np.float32) for a in
             (w["weight_ih"].T, w["weight_hh"].T, w["bias_ih"] + w["bias_hh"])))
    return verdict_right(equal((got, want), (unbatched, want[0])), f"h_1 gap {gap((got, want)):.1e}, "
                         "unbatched too", float32_kept(f32))


def check_tensortonic_a_rnn_cell(fn) -> Established:
    cell = reference("rnn_cell")
    w = weights(cell)
    x, h0, _ = rng_inputs()
    got = fn(x[0], h0, w["weight_ih"], w["weight_hh"], w["bias_ih"] + w["bias_hh"])
    want, _ = step(cell, x[0], h0)
    return verdict_right(equal((got, want)), f"h_1 gap {gap((got, want)):.1e}")


def check_tensortonic_a_rnn_forward(fn) -> Established:
    module = reference("rnn")
    w = weights(module)
    x, h0, _ = rng_inputs()
    arguments = (x.transpose(1, 0, 2), h0, w["weight_ih"], w["weight_hh"], w["bias_ih"] + w["bias_hh"])
    outputs, h_n = fn(*arguments)
    want, want_h, _ = run_sequence(module, x, h0)
    return verdict_right(equal((outputs, want.transpose(1, 0, 2)), (h_n, want_h)),
                         f"batch-first output and h_n gap {gap((outputs, want.transpose(1, 0, 2))):.1e}",
                         float32_kept(fn(*(a.astype(np.float32) for a in arguments))))


def check_tensortonic_a_lstm_cell(fn) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    x, h0, c0 = rng_inputs()
    args = [on_hx(w, "lstm", g) for g in "figo"] + [summed(w, "lstm", g) for g in "figo"]
    h1, c1 = fn(x[0], h0, c0, *args)
    want_h, want_c = step(cell, x[0], h0, c0)
    return verdict_right(equal((h1, want_h), (c1, want_c)), f"(h_1, c_1) gap {gap((h1, want_h), (c1, want_c)):.1e}")


def check_tensortonic_a_lstm_network(cls) -> Established:
    module = reference("lstm")
    w = weights(module)
    model = cls(I, H, H)
    for letter, name in zip("figo", "fico"):
        setattr(model, f"W_{name}", on_hx(w, "lstm", letter))
        setattr(model, f"b_{name}", summed(w, "lstm", letter))
    model.W_y, model.b_y = np.eye(H), np.zeros(H)
    x, _, _ = rng_inputs()
    y, h_n, c_n = model.forward(x.transpose(1, 0, 2))
    want, want_h, want_c = run_sequence(module, x, np.zeros((B, H)), np.zeros((B, H)))
    for name in ("W_f", "W_i", "W_c", "W_o", "b_f", "b_i", "b_c", "b_o", "W_y", "b_y"):
        setattr(model, name, getattr(model, name).astype(np.float32))
    return verdict_right(equal((y, want.transpose(1, 0, 2)), (h_n, want_h), (c_n, want_c)),
                         "with W_y = I, b_y = 0 and a zero initial state: y, h and C equal torch.nn's",
                         float32_kept(model.forward(x.transpose(1, 0, 2).astype(np.float32))))


def check_deepml_rnn_forward(fn) -> Established:
    module = reference("rnn")
    w = weights(module)
    x, h0, _ = rng_inputs(batch=1)
    got = fn(x[:, 0], h0[0], w["weight_ih"], w["weight_hh"], w["bias_ih"] + w["bias_hh"])
    _, want_h, _ = run_sequence(module, x, h0)
    return verdict_right(equal((got, want_h[0])), f"last h gap {gap((got, want_h[0])):.1e}")


def lstm_columns(model, w) -> None:
    for letter, name in zip("figo", "fico"):
        setattr(model, f"W{name}", on_hx(w, "lstm", letter))
        setattr(model, f"b{name}", summed(w, "lstm", letter).reshape(H, 1))


def check_deepml_lstm_class(cls) -> Established:
    module = reference("lstm")
    w = weights(module)
    model = cls(I, H)
    lstm_columns(model, w)
    findings = []
    for scale in (1.0, 1000.0):
        x, h0, c0 = rng_inputs(scale=scale, batch=1)
        with np.errstate(all="ignore"):
            outputs, h, c = model.forward(x[:, 0], h0[0].reshape(H, 1), c0[0].reshape(H, 1))
        want, want_h, want_c = run_sequence(module, x, h0, c0)
        findings.append(gap((outputs[:, :, 0], want[:, 0]), (h[:, 0], want_h[0]), (c[:, 0], want_c[0])))
    verdict = "wrong" if findings[0] <= TOLERANCE and findings[1] > TOLERANCE else "UNEXPECTED"
    return Established(verdict, f"gap {findings[0]:.1e} on inputs in [-1, 1]; {findings[1]} on inputs x1000 "
                       "(tanh written with exp overflows to nan)")


def check_deepml_gru_cell(fn) -> Established:
    cell = reference("gru_cell")
    w = weights(cell)
    x, h0, _ = rng_inputs(batch=1)
    # The most favourable mapping: z, r by name, candidate on n, the hidden-side n bias folded into b_h.
    args = []
    for letter in "zrn":
        args += [gate(w["weight_ih"], "gru", letter), gate(w["weight_hh"], "gru", letter), summed(w, "gru", letter)]
    got = fn(x[0, 0], h0[0], *args)
    want, _ = step(cell, x[0], h0)
    # The same weights through its own formula with z flipped and the reset moved after the product:
    # if that equals torch.nn, its two departures are exactly the ones named.
    return Established("wrong" if not equal((got, want[0])) else "UNEXPECTED: equal",
                       f"h_1 gap {gap((got, want[0])):.1e} against nn.GRUCell (reset before U_h, z the other way)")


def check_deepml_lstm_cell_module(cls) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    model = as_tensor_module(cls(I, H), {"W_ih": w["weight_ih"], "W_hh": w["weight_hh"],
                                         "b_ih": w["bias_ih"], "b_hh": w["bias_hh"]})
    x, h0, c0 = rng_inputs()
    with torch.no_grad():
        h1, c1 = model(torch.from_numpy(x[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
    want_h, want_c = step(cell, x[0], h0, c0)
    return verdict_right(equal((h1, want_h), (c1, want_c)), f"gap {gap((h1, want_h), (c1, want_c)):.1e}")


def check_recurrent_models_lstm_cell(cls) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    model = as_tensor_module(cls(I, H), {
        "x2h.weight": stacked(w, "weight_ih", "lstm", "ifog"), "x2h.bias": stacked(w, "bias_ih", "lstm", "ifog"),
        "h2h.weight": stacked(w, "weight_hh", "lstm", "ifog"), "h2h.bias": stacked(w, "bias_hh", "lstm", "ifog")})
    x, h0, c0 = rng_inputs()
    with torch.no_grad():
        h1, c1 = model(torch.from_numpy(x[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
    want_h, want_c = step(cell, x[0], h0, c0)
    return right_unless(unbatched_default_state(model, "lstm_cell"), equal((h1, want_h), (c1, want_c)),
                        f"with its gate layout i, f, o, g declared: gap {gap((h1, want_h), (c1, want_c)):.1e}")


def check_recurrent_models_gru_cell(cls) -> Established:
    cell = reference("gru_cell")
    w = weights(cell)
    model = as_tensor_module(cls(I, H), {
        "x2h.weight": stacked(w, "weight_ih", "gru", "zr"), "x2h.bias": stacked(w, "bias_ih", "gru", "zr"),
        "h2h.weight": stacked(w, "weight_hh", "gru", "zr"), "h2h.bias": stacked(w, "bias_hh", "gru", "zr"),
        "x2r.weight": gate(w["weight_ih"], "gru", "n"), "x2r.bias": gate(w["bias_ih"], "gru", "n"),
        "h2r.weight": gate(w["weight_hh"], "gru", "n"), "h2r.bias": gate(w["bias_hh"], "gru", "n")})
    x, h0, _ = rng_inputs()
    with torch.no_grad():
        got = model(torch.from_numpy(x[0]), torch.from_numpy(h0))
    want, _ = step(cell, x[0], h0)
    return right_unless(unbatched_default_state(model, "gru_cell"), equal((got, want)),
                        f"with z, r declared: gap {gap((got, want)):.1e}")


def check_recurrent_models_rnn_cell(cls) -> Established:
    gaps = []
    for nonlinearity in ("tanh", "relu"):
        cell = reference("rnn_cell", nonlinearity)
        w = weights(cell)
        model = as_tensor_module(cls(I, H, nonlinearity=nonlinearity), {
            "x2h.weight": w["weight_ih"], "x2h.bias": w["bias_ih"], "h2h.weight": w["weight_hh"],
            "h2h.bias": w["bias_hh"]})
        x, h0, _ = rng_inputs()
        with torch.no_grad():
            got = model(torch.from_numpy(x[0]), torch.from_numpy(h0))
        gaps.append(gap((got, step(cell, x[0], h0)[0])))
    return right_unless(unbatched_default_state(model, "rnn_cell"), max(gaps) <= TOLERANCE,
                        f"tanh and relu gaps {gaps[0]:.1e}, {gaps[1]:.1e}")


def cs231n_rnn(fn, scales=(1.0, 1000.0)) -> tuple[list[float], bool]:
    module = reference("rnn")
    w = weights(module)
    gaps = []
    for scale in scales:
        x, h0, _ = rng_inputs(scale=scale)
        with np.errstate(all="ignore"):
            h, _ = fn(x.transpose(1, 0, 2), h0, w["weight_ih"].T, w["weight_hh"].T, w["bias_ih"] + w["bias_hh"])
        want, _, _ = run_sequence(module, x, h0)
        gaps.append(gap((h, want.transpose(1, 0, 2))))
    x, h0, _ = rng_inputs()
    h32, _ = fn(*(a.astype(np.float32) for a in (x.transpose(1, 0, 2), h0, w["weight_ih"].T, w["weight_hh"].T,
                                                   w["bias_ih"] + w["bias_hh"])))
    return gaps, float32_kept(h32)


def check_cs231n_a_rnn_forward(fn) -> Established:
    gaps, keeps = cs231n_rnn(fn)
    verdict = "wrong" if gaps[0] <= TOLERANCE and gaps[1] > TOLERANCE else "UNEXPECTED"
    return Established(verdict, f"gap {gaps[0]:.1e} on inputs in [-1, 1]; {gaps[1]} on inputs x1000 "
                       "(tanh written with exp: nan)", keeps)


def check_cs231n_c_rnn_forward(fn) -> Established:
    gaps, keeps = cs231n_rnn(fn)
    return verdict_right(max(gaps) <= TOLERANCE, f"gaps {gaps[0]:.1e} and {gaps[1]:.1e} (x1000)", keeps)


def cs231n_lstm(fn) -> Established:
    module = reference("lstm")
    w = weights(module)
    x, h0, _ = rng_inputs()
    arguments = (stacked(w, "weight_ih", "lstm", "ifog").T, stacked(w, "weight_hh", "lstm", "ifog").T,
                 stacked(w, "bias_ih", "lstm", "ifog") + stacked(w, "bias_hh", "lstm", "ifog"))
    h, _ = fn(x.transpose(1, 0, 2), h0, *arguments)
    want, _, _ = run_sequence(module, x, h0, np.zeros((B, H)))
    h32, _ = fn(x.transpose(1, 0, 2).astype(np.float32), h0.astype(np.float32),
                *(a.astype(np.float32) for a in arguments))
    x[1, 0, 0] = np.nan
    with np.errstate(all="ignore"):
        h_nan, _ = fn(x.transpose(1, 0, 2), h0, *arguments)
    want_nan, _, _ = run_sequence(module, x, h0, np.zeros((B, H)))
    swallowed = np.isnan(want_nan.transpose(1, 0, 2)).sum() - np.isnan(h_nan).sum()
    defect = f"a NaN in the input: {swallowed} outputs finite where torch.nn's are NaN (a tanh made of the stable sigmoid maps NaN to 0)" \
        if swallowed else ""
    found = right_unless(defect, equal((h, want.transpose(1, 0, 2))),
                         f"gates i, f, o, g declared, c0 = 0: gap {gap((h, want.transpose(1, 0, 2))):.1e}")
    found.keeps_float32 = float32_kept(h32)
    return found


def check_zero_deep2_lstm(cls) -> Established:
    module = reference("lstm_cell")
    w = weights(module)
    x, h0, c0 = rng_inputs()
    try:
        cls(w["weight_ih"].T, w["weight_hh"].T, w["bias_ih"] + w["bias_hh"])
        built = "built"
    except TypeError as error:
        built = f"LSTM(Wx, Wh, b) raises TypeError ({error})"
    try:
        cls().forward(x[0], h0, c0)
        called = "forward ran"
    except Exception as error:  # noqa: BLE001 - any exception is the finding
        called = f"LSTM().forward raises {type(error).__name__}"
    verdict = "wrong" if built != "built" and called != "forward ran" else "UNEXPECTED"
    return Established(verdict, f"{built}; {called}")


def check_coursera_rnn_forward(fn) -> Established:
    module = reference("rnn")
    w = weights(module)
    x, h0, _ = rng_inputs()
    parameters = {"Wax": w["weight_ih"], "Waa": w["weight_hh"], "ba": (w["bias_ih"] + w["bias_hh"]).reshape(H, 1),
                  "Wya": np.eye(H), "by": np.zeros((H, 1))}
    a, _, _ = fn(x.transpose(2, 1, 0), h0.T, parameters)
    want, _, _ = run_sequence(module, x, h0)
    single = {key: value.astype(np.float32) for key, value in parameters.items()}
    a32, _, _ = fn(x.transpose(2, 1, 0).astype(np.float32), h0.T.astype(np.float32), single)
    return verdict_right(equal((a, want.transpose(2, 1, 0))), f"time-last a gap {gap((a, want.transpose(2, 1, 0))):.1e}",
                         float32_kept(a32))


def check_coursera_lstm_cell_forward(fn) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    x, h0, c0 = rng_inputs()
    parameters = {"Wy": np.eye(H), "by": np.zeros((H, 1))}
    for letter, name in zip("figo", "fico"):
        parameters[f"W{name}"] = on_hx(w, "lstm", letter)
        parameters[f"b{name}"] = summed(w, "lstm", letter).reshape(H, 1)
    a, c, _, _ = fn(x[0].T, h0.T, c0.T, parameters)
    want_h, want_c = step(cell, x[0], h0, c0)
    return verdict_right(equal((a, want_h.T), (c, want_c.T)), f"columns: gap {gap((a, want_h.T), (c, want_c.T)):.1e}")


def check_seqmodels_lstm_cell(cls) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    assignments = {"out.weight": np.eye(H), "out.bias": np.zeros(H)}
    for letter, name in zip("figo", ("forget_gate", "input_gate", "cell_gate", "output_gate")):
        assignments[f"{name}.weight"] = on_hx(w, "lstm", letter)
        assignments[f"{name}.bias"] = summed(w, "lstm", letter)
    model = as_tensor_module(cls(I, H), assignments)
    x, h0, c0 = rng_inputs()
    with torch.no_grad():
        _, (h1, c1) = model(torch.from_numpy(x[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
    want_h, want_c = step(cell, x[0], h0, c0)
    # Its own mistake, made in torch.nn: the candidate through a sigmoid.
    gates = x[0] @ w["weight_ih"].T + h0 @ w["weight_hh"].T + w["bias_ih"] + w["bias_hh"]
    i, f, g, o = (1 / (1 + np.exp(-gates[:, k * H:(k + 1) * H])) for k in range(4))
    c_model = f * c0 + i * g
    verdict = "wrong" if not equal((c1, want_c)) and equal((c1, c_model)) else "UNEXPECTED"
    return Established(verdict, f"c_1 gap {gap((c1, want_c)):.1e} against nn.LSTMCell, "
                       f"{gap((c1, c_model)):.1e} against torch.nn with a sigmoid candidate")


def check_seqmodels_gru_cell(cls) -> Established:
    x, h0, _ = rng_inputs()
    try:
        cls(I, H)(torch.from_numpy(x[0]).float(), torch.from_numpy(h0).float())
        crash = "no error"
    except RuntimeError:
        crash = f"input_size {I} != hidden_size {H}: RuntimeError (its candidate layer is Linear(H + H, H))"
    cell = reference("gru_cell", input_size=H)
    w = weights(cell)
    # The most favourable mapping: its update gate is torch's 1 - z (weights negated), reset r as torch's.
    model = as_tensor_module(cls(H, H), {
        "relevance_gate.weight": on_hx(w, "gru", "r"), "relevance_gate.bias": summed(w, "gru", "r"),
        "update_gate.weight": -on_hx(w, "gru", "z"), "update_gate.bias": -summed(w, "gru", "z"),
        "linear.weight": on_hx(w, "gru", "n"), "linear.bias": summed(w, "gru", "n"),
        "out.weight": np.eye(H), "out.bias": np.zeros(H)})
    x, h0, _ = rng_inputs(input_size=H)
    with torch.no_grad():
        _, got = model(torch.from_numpy(x[0]), torch.from_numpy(h0))
    want, _ = step(cell, x[0], h0)
    return Established("wrong" if not equal((got, want)) else "UNEXPECTED: equal",
                       f"{crash}; with input_size == hidden_size, h_1 gap {gap((got, want)):.1e} under the most "
                       "favourable mapping (reset before the product)")


def check_fastrnns_lstm_cell(fn) -> Established:
    cell = reference("lstm_cell")
    t = {k: torch.from_numpy(v) for k, v in weights(cell).items()}
    x, h0, c0 = (torch.from_numpy(a) for a in rng_inputs())
    h1, c1 = fn(x[0], (h0, c0), t["weight_ih"], t["weight_hh"], t["bias_ih"], t["bias_hh"])
    want_h, want_c = step(cell, x[0].numpy(), h0.numpy(), c0.numpy())
    return verdict_right(equal((h1, want_h), (c1, want_c)), f"gap {gap((h1, want_h), (c1, want_c)):.1e}")


def check_fastrnns_flat_lstm_cell(fn) -> Established:
    return check_fastrnns_lstm_cell(lambda x, state, *w: fn(x, state[0], state[1], *w))


def cell_tensor_check(fn, kind: str, nonlinearity: str = "tanh") -> Established:
    cell = reference(kind, nonlinearity)
    t = {k: torch.from_numpy(v) for k, v in weights(cell).items()}
    x, h0, _ = rng_inputs()
    got = fn(torch.from_numpy(x[0]), torch.from_numpy(h0), t["weight_ih"], t["weight_hh"], t["bias_ih"], t["bias_hh"])
    want, _ = step(cell, x[0], h0)
    return Established("right" if equal((got, want)) else "differs", f"gap {gap((got, want)):.1e}")


def check_fastrnns_gru_cell(fn) -> Established:
    return cell_tensor_check(fn, "gru_cell")


def check_fastrnns_rnn_relu_cell(fn) -> Established:
    return cell_tensor_check(fn, "rnn_cell", "relu")


def check_temp_gru_cell_function(fn) -> Established:
    return cell_tensor_check(fn, "gru_cell")


def check_fastrnns_milstm_cell(fn) -> Established:
    cell = reference("lstm_cell")
    t = {k: torch.from_numpy(v) for k, v in weights(cell).items()}
    x, h0, c0 = (torch.from_numpy(a[0] if a.ndim == 3 else a) for a in rng_inputs())
    want_h, _ = step(cell, x.numpy(), h0.numpy(), c0.numpy())
    ones, zeros = torch.ones(4 * H, dtype=torch.float64), torch.zeros(4 * H, dtype=torch.float64)
    as_lstm, _ = fn(x, h0, c0, t["weight_ih"], t["weight_hh"], zeros, ones, ones, t["bias_ih"] + t["bias_hh"])
    torch.manual_seed(3)
    alpha = torch.rand(4 * H, dtype=torch.float64)
    own, _ = fn(x, h0, c0, t["weight_ih"], t["weight_hh"], alpha, ones, ones, t["bias_ih"] + t["bias_hh"])
    verdict = "different" if equal((as_lstm, want_h)) and not equal((own, want_h)) else "UNEXPECTED"
    return Established(verdict, f"alpha = 0, beta = 1: gap {gap((as_lstm, want_h)):.1e}; "
                       f"alpha != 0: {gap((own, want_h)):.1e}")


def check_sublstm_cell(fn) -> Established:
    cell = reference("lstm_cell")
    t = {k: torch.from_numpy(v) for k, v in weights(cell).items()}
    x, h0, c0 = (torch.from_numpy(a[0] if a.ndim == 3 else a) for a in rng_inputs())
    h1, c1 = fn(x, (h0, c0), t["weight_ih"], t["weight_hh"], t["bias_ih"], t["bias_hh"])
    want_h, want_c = step(cell, x.numpy(), h0.numpy(), c0.numpy())
    gates = (x @ t["weight_ih"].T + h0 @ t["weight_hh"].T + t["bias_ih"] + t["bias_hh"]).sigmoid()
    i, f, z, o = gates.chunk(4, 1)
    own_c = f * c0 + z - i
    verdict = "different" if not equal((h1, want_h)) and equal((c1, own_c)) else "UNEXPECTED"
    return Established(verdict, f"h_1 gap {gap((h1, want_h)):.1e} against nn.LSTMCell; c_1 equals f*c + z - i")


def check_temp_gru_cell_module(cls) -> Established:
    model = cls(I, H).double()
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    return Established("different" if shapes["weight_ih"] == (H, I) else "UNEXPECTED",
                       f"weight_ih {shapes['weight_ih']} (torch's is (3H, I)): r and z read h alone")


def check_tvm_layernorm_lstm_cell(cls) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    model = as_tensor_module(cls(I, H), {"weight_ih": w["weight_ih"], "weight_hh": w["weight_hh"]})
    x, h0, c0 = rng_inputs()
    with torch.no_grad():
        h1, (_, c1) = model(torch.from_numpy(x[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
    want_h, want_c = step(cell, x[0], h0, c0)
    no_bias = reference("lstm_cell")
    with torch.no_grad():
        no_bias.bias_ih.zero_()
        no_bias.bias_hh.zero_()
    plain_h, _ = step(no_bias, x[0], h0, c0)
    verdict = "different" if not equal((h1, want_h)) and not equal((h1, plain_h)) else "UNEXPECTED"
    return Established(verdict, f"h_1 gap {gap((h1, plain_h)):.1e} against a bias-free nn.LSTMCell (layer norms)")


def check_lstmspth_slow_lstm(cls) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    x, h0, c0 = rng_inputs()
    try:
        cls(I, H)(torch.from_numpy(x[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
        crash = "no error"
    except RuntimeError as error:
        crash = f"input_size {I} != hidden_size {H}: RuntimeError ({str(error)[:60]})"
    square = reference("lstm_cell", input_size=H)
    ws = weights(square)
    assignments = {}
    for letter, name in zip("ifog", "ifoc"):
        assignments[f"w_x{name}"] = gate(ws["weight_ih"], "lstm", letter).T
        assignments[f"w_h{name}"] = gate(ws["weight_hh"], "lstm", letter).T
        assignments[f"b_{name}"] = summed(ws, "lstm", letter)
    model = as_tensor_module(cls(H, H), assignments)
    xs, _, _ = rng_inputs(input_size=H)
    with torch.no_grad():
        _, (h1, c1) = model(torch.from_numpy(xs[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
    want_h, want_c = step(square, xs[0], h0, c0)
    verdict = "wrong" if crash != "no error" and equal((h1[:, 0], want_h), (c1[:, 0], want_c)) else "UNEXPECTED"
    return Established(verdict, f"{crash}; with input_size == hidden_size and w = weight.T: gap "
                       f"{gap((h1[:, 0], want_h)):.1e}")


def check_lstmspth_lstm(cls) -> Established:
    module = reference("lstm")
    w = weights(module)
    model = as_tensor_module(cls(I, H), {
        "i2h.weight": stacked(w, "weight_ih", "lstm", "ifog"), "i2h.bias": stacked(w, "bias_ih", "lstm", "ifog"),
        "h2h.weight": stacked(w, "weight_hh", "lstm", "ifog"), "h2h.bias": stacked(w, "bias_hh", "lstm", "ifog")})
    model.eval()
    x, h0, c0 = rng_inputs()
    with torch.no_grad():
        out, (h1, c1) = model(torch.from_numpy(x[:1]), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    want, want_h, want_c = run_sequence(module, x[:1], h0, c0)
    try:
        with torch.no_grad():
            model(torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
        longer = "ran"
    except RuntimeError:
        longer = "raises RuntimeError"
    one_step = equal((out, want), (h1[0], want_h), (c1[0], want_c))
    verdict = "wrong" if one_step and longer != "ran" else "UNEXPECTED"
    return Established(verdict, f"one step, gates i, f, o, g: gap {gap((out, want)):.1e}; {T} steps: {longer}")


def check_lstm_gru_pytorch_lstm_cell(cls) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    model = as_tensor_module(cls(I, H, True, "cpu"), {
        "input_weights.weight": w["weight_ih"], "hidden_weights.weight": w["weight_hh"],
        "hidden_weights.bias": w["bias_ih"] + w["bias_hh"]})
    x, h0, c0 = rng_inputs()
    with torch.no_grad():
        h1, c1 = model(torch.from_numpy(x[0]), torch.from_numpy(h0), torch.from_numpy(c0))
    want_h, want_c = step(cell, x[0], h0, c0)
    return verdict_right(equal((h1, want_h), (c1, want_c)), f"one bias = bias_ih + bias_hh: gap "
                         f"{gap((h1, want_h), (c1, want_c)):.1e}")


def check_torch_quantizable_lstm_cell(cls) -> Established:
    cell = reference("lstm_cell")
    w = weights(cell)
    model = as_tensor_module(cls(I, H), {"igates.weight": w["weight_ih"], "igates.bias": w["bias_ih"],
                                         "hgates.weight": w["weight_hh"], "hgates.bias": w["bias_hh"]})
    x, h0, c0 = rng_inputs()
    with torch.no_grad():
        h1, c1 = model(torch.from_numpy(x[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
    want_h, want_c = step(cell, x[0], h0, c0)
    defects = []
    try:
        with torch.no_grad():
            model(torch.from_numpy(x[0]))
    except RuntimeError as error:
        defects.append(f"float64 with the state omitted: RuntimeError ({str(error)[:45]})")
    with torch.no_grad():
        single = cls(I, H)(torch.from_numpy(x[0][0]).float())[0]
    if tuple(single.shape) != (H,):
        defects.append(f"unbatched input, state omitted: h_1 {tuple(single.shape)}, torch.nn's ({H},)")
    return right_unless("; ".join(defects), equal((h1, want_h), (c1, want_c)),
                        f"gap {gap((h1, want_h), (c1, want_c)):.1e} with the state given")


def check_torch_quantizable_lstm(cls) -> Established:
    gaps = {}
    for layers, bidirectional in ((2, False), (1, True), (2, True)):
        torch.manual_seed(0)
        native = nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional).double()
        model = cls(I, H, num_layers=layers, bidirectional=bidirectional).double()
        try:
            for layer in range(layers):
                directions = (("layer_fw", ""), ("layer_bw", "_reverse"))[: 1 + bidirectional]
                for attribute, suffix in directions:
                    cell = dict(getattr(model.layers[layer], attribute).cell.named_parameters())
                    with torch.no_grad():
                        for mine, theirs in (("igates.weight", "weight_ih"), ("igates.bias", "bias_ih"),
                                             ("hgates.weight", "weight_hh"), ("hgates.bias", "bias_hh")):
                            cell[mine].copy_(getattr(native, f"{theirs}_l{layer}{suffix}"))
            x = torch.from_numpy(rng_inputs()[0])
            torch.manual_seed(1)
            state = tuple(torch.rand(layers * (1 + bidirectional), B, H, dtype=torch.float64) for _ in "hc")
            with torch.no_grad():
                out, (h, c) = model(x, state)
                want, (want_h, want_c) = native(x, state)
            gaps[(layers, bidirectional)] = f"{gap((out, want), (h, want_h), (c, want_c)):.1e}"
        except RuntimeError as error:
            gaps[(layers, bidirectional)] = f"RuntimeError ({str(error)[:50]})"
    try:
        with torch.no_grad():
            cls(I, H).double()(torch.from_numpy(rng_inputs()[0]))
        gaps["float64, state omitted"] = "ran"
    except RuntimeError as error:
        gaps["float64, state omitted"] = f"RuntimeError ({str(error)[:40]})"
    crashes = "RuntimeError" in gaps[(2, True)]
    others = all(float(gaps[key]) <= TOLERANCE for key in ((2, False), (1, True)))
    return Established("wrong" if crashes and others else "UNEXPECTED",
                       "; ".join(f"{key}: {value}" for key, value in gaps.items()))


CHECKERS: dict[str, Callable] = {
    "tensortonic_a_rnn_step_forward": rnn_step_in_out,
    "tensortonic_b_rnn_step_forward": rnn_step_in_out,
    "cs231n_b_lstm_forward": cs231n_lstm,
    "cs231n_a_lstm_forward": cs231n_lstm,
    **{name.removeprefix("check_"): value for name, value in globals().items() if name.startswith("check_")},
}


def establish(impl: dict, folder: Path) -> Established:
    """Load the entry and run its checker; a load failure is the finding for a not_checkable entry."""
    try:
        entry = load(folder if folder.exists() else Path(tempfile.gettempdir()), impl["target"])
    except BaseException as error:  # noqa: BLE001 - the file's own failure at import is what is established
        if isinstance(error, KeyboardInterrupt):
            raise
        return Established("not_checkable", f"loading raises {type(error).__name__}: {str(error)[:100]}")
    checker = CHECKERS.get(impl["key"])
    if checker is None:
        return Established("UNCHECKED", "no checker")
    return checker(entry)


def compiles_only(impl: dict, folder: Path) -> Established:
    """For a script that trains at import (while True): compile it, never run it."""
    source = (folder / impl["path"]).read_text()
    try:
        compile(source, impl["path"], "exec")
    except SyntaxError as error:
        return Established("not_checkable", f"does not compile under Python 3 ({error.msg}, line {error.lineno}); "
                           "it trains in `while True` at import")
    return Established("not_checkable", "a training script: `while True` at import; not run")


NOT_LOADED_BY_DESIGN = {"minchar_rnn_losfun": compiles_only}


def report(impls: list[dict], entry_dir: Callable[[dict], Path]) -> int:
    """Print each entry's established verdict beside the manifest's; exit 1 where they disagree."""
    disagreements = 0
    for impl in impls:
        if impl["key"] in NOT_LOADED_BY_DESIGN:
            found = NOT_LOADED_BY_DESIGN[impl["key"]](impl, entry_dir(impl))
        else:
            found = establish(impl, entry_dir(impl))
        agree = found.verdict == impl["truth"]
        disagreements += not agree
        print(f"{'ok ' if agree else 'XX '} {impl['key']:34} {impl['truth']:13} {found.verdict:13} {found.evidence}"
              + ("" if found.keeps_float32 else "  [float32 in, float64 out]"))
    print(f"{len(impls) - disagreements}/{len(impls)} true verdicts confirmed")
    return 1 if disagreements else 0


def allowed_failing_rows(impl: dict, folder: Path) -> frozenset[str]:
    """Rows a right entry may fail without its verdict being false: dtype, where float32 comes back float64."""
    if impl["truth"] != "right" or impl["key"] in NOT_LOADED_BY_DESIGN:
        return frozenset()
    try:
        found = establish(impl, folder)
    except Exception:  # noqa: BLE001
        return frozenset()
    return frozenset() if found.keeps_float32 else frozenset({"dtype"})
