"""Check every file in examples/rows against torch.nn, cell by cell, independently of the plugin.

Not a row file itself: ``python examples/rows/_verify_rows.py [DIR] [--show=FILE,...] [--jobs=N]``
from the repository root (``--show=layout`` also prints every finding of layout.py, cell by cell;
``--jobs=2`` checks the files in two processes). tests/test_verifiers.py runs it.

A *cell* is one configuration and one kind of check, belonging to one row of the capability matrix:
the base configuration (batch 3, time 6, input 5, hidden 4, proj 2; one layer, one direction,
seq-first, hx given and random, bias, tanh, no projection, batched, not packed, eval mode) with that
row's dimension varied, in float32 and float64 (half-precision cells in float16 and bfloat16), plus
``combined`` cells where several dimensions meet. Each cell reports *findings*:

- ``error``: the call raised (NotImplementedError included);
- ``shape``: a result has another shape than torch.nn's (or is not a PackedSequence where torch.nn
  returns one); ``squeeze``: another shape only by a dimension of size 1, the values being torch.nn's
  (DESIGN.md: "reported as a *shape* mismatch of its own", so the ``shape`` row owns it);
  ``dtype``: another dtype than torch.nn's;
- ``values``: a result differs from torch.nn, judged at the precision the file returned (float64
  within 1e-9; float32 / float16 / bfloat16 within 10x torch.nn's own error against float64, or a
  floor of 1e-5 / 5e-3 / 4e-2);
- ``no_grad_fn`` and ``grad`` (backward cells): a result that cannot be differentiated; a gradient of
  the input, a state or a weight that differs from torch.nn's;
- ``purity`` (purity cells): an input or weight written to (values or version counter), global torch
  state changed, or two calls that differ;
- ``delegation`` (no_delegation cells): a torch recurrent kernel reached (recorded with a
  TorchFunctionMode and a TorchDispatchMode, as the plugin does).

DEFECTS says, for each file, the row that owns its one bug, the catalogue id the plugin must name
(tests/test_rows.py reads both from here), where the bug must show and which findings it may cause.
A file is OK when it has findings in every cell DEFECTS predicts and none anywhere else, its owner's
own cells are among them, a file whose only findings are ``squeeze`` is owned by ``shape``, and its
named id is proven: MODELS rebuilds the bug from torch.nn alone (tanh for relu, W_hr replaced by
the identity, the padding run as input...) and the file must equal that model in every predicted
cell of its owner's row where the model applies. ``_correct.py`` must have no finding at all. The
output names, per file, the rows where it had findings. Exit status: the number of files with
problems.

torch.nn's answers depend on the cell alone (its seed draws the weights and inputs), so they are
computed once per cell and shared by every file.
"""
import copy
import functools
import importlib.util
import multiprocessing
import re
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from torch.overrides import TorchFunctionMode, resolve_name
from torch.utils._python_dispatch import TorchDispatchMode

HERE = Path(__file__).parent
T, B, I, H, P = 6, 3, 5, 4, 2
FLOORS = {torch.float32: 1e-5, torch.float16: 5e-3, torch.bfloat16: 4e-2}
F64_TOL = 1e-9
warnings.filterwarnings("ignore")  # LSTMP/oneDNN and dropout-with-one-layer warnings


class Spec:
    """torch.nn's constructor arguments, as attributes."""

    def __init__(self, mode, num_layers, bias, batch_first, bidirectional, proj_size, nonlinearity, dropout,
                 hidden_size):
        self.mode, self.input_size, self.hidden_size = mode, I, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.bidirectional, self.proj_size, self.nonlinearity = bidirectional, proj_size, nonlinearity
        self.dropout = dropout


@dataclass(frozen=True)
class Cell:
    row: str
    mode: str
    dtype: torch.dtype = torch.float64
    layers: int = 1
    bidirectional: bool = False
    bias: bool = True
    batch_first: bool = False
    proj: int = 0
    nonlinearity: str = "tanh"
    hidden: int = H
    time: int = T
    batch: int = B
    unbatched: bool = False
    hx_none: bool = False
    lengths: tuple = None  # packed: the lengths, in the user's batch order
    sorted: bool = True
    dropout: float = 0.0
    train: bool = False
    scale: float = 1.0  # weights multiplied by this (saturating: 8)
    check: str = "values"  # values, backward, purity, delegation, split, alone
    seed: int = 0

    @property
    def D(self):
        return 2 if self.bidirectional else 1

    @property
    def packed(self):
        return self.lengths is not None

    def spec(self):
        return Spec(self.mode, self.layers, self.bias, self.batch_first, self.bidirectional, self.proj,
                    self.nonlinearity, self.dropout, self.hidden)

    def name(self):
        base = Cell(self.row, self.mode, self.dtype)
        diff = [f"{f}={getattr(self, f)}" for f in ("layers", "bidirectional", "bias", "batch_first", "proj",
                                                    "nonlinearity", "hidden", "time", "batch", "unbatched",
                                                    "hx_none", "lengths", "sorted", "dropout", "train", "scale",
                                                    "check")
                if getattr(self, f) != getattr(base, f)]
        return f"{self.row}[{self.mode}-{str(self.dtype)[6:]}]" + (f"({', '.join(diff)})" if diff else "")


# ------------------------------------------------------------------ the grid
def cells():
    out = []
    for mode in ("rnn", "lstm", "gru"):
        for dtype in (torch.float32, torch.float64):
            c = lambda row, **kw: out.append(Cell(row, mode, dtype, **kw))  # noqa: E731
            c("forward")
            c("shape")  # shapes are judged in every cell; these are the shape row's own
            c("shape", batch=1)  # the shape row changes each dimension alone, a batch of one among them
            c("dtype")  # likewise dtypes: float32 here is the control
            if dtype == torch.float64:
                c("float64")  # the float64 row's own cell
            c("layout", batch_first=True)
            c("unbatched", unbatched=True)
            c("unbatched", unbatched=True, batch_first=True)  # batch_first is ignored for 2-D input
            c("default_state", hx_none=True)
            c("no_bias", bias=False)
            if mode == "rnn":
                c("relu", nonlinearity="relu")
            c("multilayer", layers=2)
            c("multilayer", layers=3)
            c("bidirectional", bidirectional=True)
            if mode == "lstm":
                c("proj", proj=P)
            c("packed", lengths=(6, 4, 2))
            c("packed", lengths=(4, 6, 2), sorted=False)
            c("backward", check="backward")
            c("edge_cases", time=1)
            c("edge_cases", batch=1)
            c("edge_cases", hidden=1)
            c("edge_cases", time=40)
            c("edge_cases", scale=8.0)
            c("continuation", check="split")
            c("continuation", check="alone")
            c("purity", check="purity")
            c("no_delegation", check="delegation")
            c("dropout", layers=2, dropout=0.5)
            c("dropout", layers=2, dropout=1.0)
            c("dropout", layers=2, dropout=1.0, train=True)
            c("dropout", layers=2, dropout=0.0, train=True)
            c("combined", layers=2, bidirectional=True, batch_first=True)
            c("combined", layers=2, bidirectional=True, hx_none=True)
            c("combined", layers=2, bidirectional=True, unbatched=True)
            c("combined", layers=2, bidirectional=True, lengths=(4, 6, 2), sorted=False)
            c("combined", layers=2, bidirectional=True, bias=False, nonlinearity="relu" if mode == "rnn" else "tanh",
              proj=P if mode == "lstm" else 0)
            c("combined", layers=2, bidirectional=True, batch_first=True, check="backward")
            c("combined", layers=2, bidirectional=True, lengths=(4, 6, 2), sorted=False, hx_none=True,
              proj=P if mode == "lstm" else 0, check="backward")
        for dtype in (torch.float16, torch.bfloat16):
            out.append(Cell("half", mode, dtype))
            out.append(Cell("combined", mode, dtype, layers=2, bidirectional=True))
    return [replace(cell, seed=k) for k, cell in enumerate(out)]


# ------------------------------------------------------------------ where each file's bug must show
def _half(c):
    return c.dtype in (torch.float16, torch.bfloat16)


@dataclass(frozen=True)
class Defect:
    """One file's bug as its code makes it: the row that owns it, the id naming it (None: no id), the
    cells where it must show, and the kinds of finding it may cause there."""
    owner: str | None
    named: str | None
    shows: Callable[[Cell], bool]
    kinds: frozenset


def _defect(owner, named, shows, *kinds):
    return Defect(owner, named, shows, frozenset(kinds))


DEFECTS = {
    "_correct": _defect(None, None, lambda c: False),
    "layout": _defect("layout", "output_seq_first", lambda c: c.batch_first and not c.unbatched and not c.packed,
                      "shape"),
    "unbatched": _defect("unbatched", "state_not_carried", lambda c: c.unbatched, "values"),
    "default_state": _defect("default_state", None, lambda c: c.hx_none, "error"),
    "no_bias": _defect("no_bias", None, lambda c: not c.bias, "error"),
    "relu": _defect("relu", "wrong_nonlinearity", lambda c: c.mode == "rnn" and c.nonlinearity == "relu", "values"),
    "multilayer": _defect("multilayer", None, lambda c: c.layers > 1 and not c.hx_none, "values", "grad"),
    "bidirectional": _defect("bidirectional", "reverse_hn_last_step", lambda c: c.bidirectional and c.time > 1,
                             "values", "grad"),
    "proj": _defect("proj", "proj_missing", lambda c: c.proj > 0, "values", "grad"),
    "packed": _defect("packed", "packed_padding_run", lambda c: c.packed and len(set(c.lengths)) > 1,
                      "values", "grad"),
    "backward": _defect("backward", None, lambda c: c.check == "backward", "no_grad_fn"),
    "dtype": _defect("dtype", "default_dtype_buffer", lambda c: c.dtype != torch.float32, "dtype", "grad"),
    "dropout": _defect("dropout", "dropout_in_eval", lambda c: c.dropout > 0 and c.layers > 1 and not c.train,
                       "values"),
    # values right, a dimension of size 1 dropped at a batch of one: a squeeze, so shape's (the
    # edge_cases row judges the values, which are right)
    "edge_cases": _defect("shape", None, lambda c: (c.batch == 1 or c.check == "alone") and not c.unbatched
                          and not c.packed, "squeeze"),
    "edge_cases_long": _defect("edge_cases", None, lambda c: c.time > 32, "error"),
    "purity": _defect("purity", None, lambda c: c.check == "purity", "purity"),
    "no_delegation": _defect("no_delegation", "delegation", lambda c: c.check == "delegation", "delegation"),
    "shape": _defect("shape", None, lambda c: c.layers * c.D == 1 and not c.unbatched, "squeeze"),
    "half": _defect("half", None, _half, "values"),
    "float64": _defect("float64", "low_precision", lambda c: c.dtype == torch.float64, "values", "grad"),
    "continuation": _defect("continuation", None, lambda c: c.check == "split", "values"),
    "combined": _defect("combined", "state_layout_direction_major", lambda c: c.bidirectional and c.layers > 1,
                        "values", "grad"),
}
#: ids proven by a kind of finding rather than by a model of the values
NAMED_BY_FINDING = {"delegation": "delegation"}


# ------------------------------------------------------------------ inputs and torch.nn's answers
@functools.cache
def module(cell):
    """torch.nn's module for the cell (never handed to a file: they get clones of its weights)."""
    torch.manual_seed(1000 + cell.seed)
    kw = dict(num_layers=cell.layers, bias=cell.bias, batch_first=cell.batch_first,
              bidirectional=cell.bidirectional, dropout=cell.dropout)
    if cell.mode == "rnn":
        m = torch.nn.RNN(I, cell.hidden, nonlinearity=cell.nonlinearity, **kw)
    elif cell.mode == "lstm":
        m = torch.nn.LSTM(I, cell.hidden, proj_size=cell.proj, **kw)
    else:
        m = torch.nn.GRU(I, cell.hidden, **kw)
    m = m.double()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(cell.scale)
    return m.train(cell.train)


def inputs(cell):
    """(input, hx) in float64, in torch.nn's layout for the cell."""
    g = torch.Generator().manual_seed(cell.seed)
    hout = cell.proj or cell.hidden
    rows = cell.layers * cell.D
    if cell.unbatched:
        x = torch.randn(cell.time, I, generator=g, dtype=torch.float64)
        h0 = torch.randn(rows, hout, generator=g, dtype=torch.float64)
        c0 = torch.randn(rows, cell.hidden, generator=g, dtype=torch.float64)
    else:
        shape = (cell.batch, cell.time, I) if cell.batch_first and not cell.packed else (cell.time, cell.batch, I)
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        h0 = torch.randn(rows, cell.batch, hout, generator=g, dtype=torch.float64)
        c0 = torch.randn(rows, cell.batch, cell.hidden, generator=g, dtype=torch.float64)
    hx = None if cell.hx_none else ((h0, c0) if cell.mode == "lstm" else h0)
    return x, hx


def cast(obj, dtype, requires_grad=False):
    """Clone ``obj`` (tensor, tuple, dict, None) in ``dtype``, as fresh leaves."""
    if obj is None:
        return None
    if isinstance(obj, tuple):
        return tuple(cast(o, dtype, requires_grad) for o in obj)
    if isinstance(obj, dict):
        return {k: cast(v, dtype, requires_grad) for k, v in obj.items()}
    return obj.detach().to(dtype).clone().requires_grad_(requires_grad)


def pack(cell, x):
    if not cell.packed:
        return x
    return pack_padded_sequence(x, torch.tensor(cell.lengths), enforce_sorted=cell.sorted)


def flatten(result, mode):
    """{'output': ..., 'h_n': ..., 'c_n': ...} of a result in torch.nn's form; raises if it is not."""
    out, states = result
    if mode == "lstm":
        h, c = states
        return {"output": out, "h_n": h, "c_n": c}
    return {"output": out, "h_n": states}


def nn_result(cell, m, x, hx, dtype=torch.float64):
    """torch.nn's result in ``dtype`` (module and inputs cast), flattened, PackedSequence kept."""
    mm = copy.deepcopy(m).to(dtype)
    with torch.no_grad():
        return flatten(mm(pack(cell, x.to(dtype)), cast(hx, dtype)), cell.mode)


_ANSWERS = {}


def torch_run(cell, m, x, hx, dtype):
    """``nn_result`` for the cell's own module and inputs, computed once per cell and dtype: a cell
    always draws the same weights and inputs (its seed), whichever file is being checked."""
    key = (cell, dtype)
    if key not in _ANSWERS:
        _ANSWERS[key] = nn_result(cell, m, x, hx, dtype)
    return _ANSWERS[key]


def data(t):
    return t.data if isinstance(t, PackedSequence) else t


# ------------------------------------------------------------------ judging one result
def judge(cell, got, want64, torch_err):
    """Findings (kind, text) of a flattened candidate result against torch.nn's float64 result."""
    findings = []
    for name, w in want64.items():
        g = got.get(name)
        if isinstance(w, PackedSequence):
            if not isinstance(g, PackedSequence):
                findings.append(("shape", f"{name} is {type(g).__name__}, torch.nn returns a PackedSequence"))
                continue
            same = torch.equal(g.batch_sizes, w.batch_sizes) and all(
                (a is None and b is None) or (a is not None and b is not None and torch.equal(a, b))
                for a, b in ((g.sorted_indices, w.sorted_indices), (g.unsorted_indices, w.unsorted_indices)))
            if not same:
                findings.append(("shape", f"{name}: PackedSequence batch_sizes / indices differ from torch.nn's"))
                continue
        g, w = data(g), data(w)
        if not isinstance(g, torch.Tensor):
            findings.append(("shape", f"{name} is {type(g).__name__}"))
            continue
        # judged at the coarser of the input's precision and the precision returned
        tol = max(allowed(g.dtype, torch_err), allowed(cell.dtype, torch_err))
        if tuple(g.shape) != tuple(w.shape):
            squeezed = [n for n in g.shape if n != 1] == [n for n in w.shape if n != 1]
            right = squeezed and (g.detach().double().reshape(w.shape) - w).abs().max().item() <= tol
            findings.append(("squeeze" if right else "shape", f"{name} {tuple(g.shape)} vs torch.nn {tuple(w.shape)}"
                             + (" (values right)" if right else "")))
            continue
        if g.dtype != cell.dtype:
            findings.append(("dtype", f"{name} {g.dtype} vs torch.nn {cell.dtype}"))
        err = (g.detach().double() - w).abs().max().item() if g.numel() else 0.0
        if not err <= tol:
            findings.append(("values", f"{name} max|err| {err:.3g} > {tol:.3g}"))
    return findings


def allowed(dtype, torch_err):
    if dtype == torch.float64:
        return F64_TOL
    return max(FLOORS.get(dtype, 1e-5), 10 * torch_err.get(dtype, 0.0))


_ERRORS = {}


def errors_of_torch(cell, m, x, hx, want64, dtypes):
    """torch.nn's own error against its float64 result, per dtype (float32 too, for results returned
    in the default dtype); once per cell and dtype, like ``torch_run``."""
    errs = {}
    for dt in set(dtypes) | {torch.float32}:
        if dt == torch.float64:
            continue
        if (cell, dt) not in _ERRORS:
            got = torch_run(cell, m, x, hx, dt)
            _ERRORS[cell, dt] = max((data(got[k]).double() - data(want64[k])).abs().max().item() for k in want64)
        errs[dt] = _ERRORS[cell, dt]
    return errs


# ------------------------------------------------------------------ the named mistakes, rebuilt from torch.nn
def _layout_output_seq_first(cell, m, x, hx):
    """output_seq_first: batch-first input, the output left (time, batch, features)."""
    if not cell.batch_first or cell.unbatched or cell.packed:
        return None
    want = nn_result(cell, m, x, hx)
    return dict(want, output=want["output"].transpose(0, 1))


def _state_not_carried(cell, m, x, hx):
    """state_not_carried on unbatched input: every step a one-step run from hx; h_n the last of them."""
    if not cell.unbatched or cell.layers * cell.D != 1:
        return None
    steps = [nn_result(cell, m, x[t:t + 1], hx) for t in range(x.shape[0])]
    return dict(steps[-1], output=torch.cat([step["output"] for step in steps]))


def _wrong_nonlinearity(cell, m, x, hx):
    """wrong_nonlinearity: a relu RNN computed with tanh, same weights."""
    if cell.mode != "rnn" or cell.nonlinearity != "relu":
        return None
    tanh = torch.nn.RNN(I, cell.hidden, num_layers=cell.layers, bias=cell.bias, batch_first=cell.batch_first,
                        bidirectional=cell.bidirectional).double()
    tanh.load_state_dict(m.state_dict())
    return nn_result(cell, tanh, x, hx)


def _reverse_hn_last_step(cell, m, x, hx):
    """reverse_hn_last_step: the reverse direction's h_n is its output at the last time step."""
    if not cell.bidirectional or cell.layers != 1 or cell.packed:
        return None
    want = nn_result(cell, m, x, hx)
    out = want["output"]
    last = out[-1] if cell.unbatched or not cell.batch_first else out[:, -1]
    h_n = torch.stack([want["h_n"][0], last[..., want["h_n"].shape[-1]:]])
    return dict(want, h_n=h_n)


def _proj_missing(cell, m, x, hx):
    """proj_missing: h cut to its first proj_size features, which is W_hr = the identity's first rows."""
    if cell.proj == 0:
        return None
    cut = copy.deepcopy(m)
    with torch.no_grad():
        for name, p in cut.named_parameters():
            if name.startswith("weight_hr"):
                p.copy_(torch.eye(*p.shape, dtype=p.dtype))
    return nn_result(cell, cut, x, hx)


def _packed_padding_run(cell, m, x, hx):
    """packed_padding_run: the padded batch run step by step, padding included, then packed again."""
    if not cell.packed:
        return None
    padded, lengths = pad_packed_sequence(pack(cell, x))
    want = nn_result(replace(cell, lengths=None), m, padded, hx)
    return dict(want, output=pack_padded_sequence(want["output"], lengths, enforce_sorted=cell.sorted))


def _low_precision(cell, m, x, hx):
    """low_precision: float64 input computed in float32 and cast back."""
    if cell.dtype != torch.float64:
        return None
    return {k: data(v).double() for k, v in nn_result(cell, m, x, hx, torch.float32).items()}


def _default_dtype_buffer(cell, m, x, hx):
    """default_dtype_buffer: the output in the default dtype (float32), the states in the input's."""
    if cell.dtype != torch.float64:
        return None
    want = nn_result(cell, m, x, hx)
    return dict(want, output=want["output"].to(torch.get_default_dtype()))


def _dropout_in_eval(cell, m, x, hx):
    """dropout_in_eval: in evaluation, p = 1 drops every upper layer's input, as torch.nn does in training."""
    if cell.train or cell.dropout != 1.0:
        return None
    return nn_result(cell, copy.deepcopy(m).train(True), x, hx)


def _state_layout_direction_major(cell, m, x, hx):
    """state_layout_direction_major: state row d * layers + l read and written where l * D + d belongs."""
    if cell.layers * cell.D == 1:
        return None
    order = torch.tensor([d * cell.layers + layer for layer in range(cell.layers) for d in range(cell.D)])
    permuted = None if hx is None else tuple(s[order] for s in hx) if isinstance(hx, tuple) else hx[order]
    want = nn_result(cell, m, x, permuted)
    return {k: (v[order] if k != "output" else v) for k, v in want.items()}


MODELS = {
    "output_seq_first": _layout_output_seq_first,
    "state_not_carried": _state_not_carried,
    "wrong_nonlinearity": _wrong_nonlinearity,
    "reverse_hn_last_step": _reverse_hn_last_step,
    "proj_missing": _proj_missing,
    "packed_padding_run": _packed_padding_run,
    "low_precision": _low_precision,
    "default_dtype_buffer": _default_dtype_buffer,
    "dropout_in_eval": _dropout_in_eval,
    "state_layout_direction_major": _state_layout_direction_major,
}
#: how close a file must come to its model: float32 rounding where the model is float32's
MODEL_TOL = {"low_precision": 1e-5, "default_dtype_buffer": 1e-5}


def reproduces(fn, cell, named):
    """None where the model of ``named`` does not apply to the cell (or the check is not one call),
    else whether the file's result equals the model: same shapes, dtypes and values."""
    if cell.check != "values" or _half(cell):
        return None
    m = module(cell)
    x64, hx64 = inputs(cell)
    want = MODELS[named](cell, m, x64, hx64)
    if want is None:
        return None
    params = {k: v.detach().clone() for k, v in m.named_parameters()}
    got = flatten(call(fn, cell, x64.to(cell.dtype), cast(hx64, cell.dtype), cast(params, cell.dtype)), cell.mode)
    tol = MODEL_TOL.get(named, F64_TOL if cell.dtype == torch.float64 else 1e-4)
    for k, w in want.items():
        g = got[k]
        if isinstance(w, PackedSequence) != isinstance(g, PackedSequence):
            return False
        if isinstance(w, PackedSequence) and not torch.equal(w.batch_sizes, g.batch_sizes):
            return False
        g, w = data(g), data(w)
        if g.shape != w.shape or g.dtype != (w.dtype if w.dtype != torch.float64 else cell.dtype):
            return False
        if not (g.detach().double() - w.double()).abs().max().item() <= tol:
            return False
    return True


# ------------------------------------------------------------------ recording delegation
KERNEL = re.compile(r"^(lstm|gru|rnn_tanh|rnn_relu|lstm_cell|gru_cell|rnn_tanh_cell|rnn_relu_cell|_thnn_fused_lstm_cell"
                    r"|_thnn_fused_gru_cell|_cudnn_rnn|miopen_rnn|mkldnn_rnn_layer)$")


class _Functions(TorchFunctionMode):
    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.seen.add(resolve_name(func) or getattr(func, "__name__", repr(func)))
        return func(*args, **(kwargs or {}))


class _Ops(TorchDispatchMode):
    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.seen.add(str(func))
        return func(*args, **(kwargs or {}))


def kernels(names):
    own = lambda n: n.split(".")[1] if n.startswith("aten.") else n.rsplit(".", 1)[-1]  # noqa: E731
    return sorted(n for n in names if KERNEL.match(own(n)))


# ------------------------------------------------------------------ one cell
def call(fn, cell, x, hx, params):
    return fn(pack(cell, x), hx, params, cell.spec(), train=cell.train)


def run_cell(fn, cell):
    """The findings of one file in one cell."""
    m = module(cell)
    x64, hx64 = inputs(cell)
    params64 = {k: v.detach() for k, v in m.named_parameters()}
    dt = cell.dtype

    if cell.check == "split":
        return split_check(fn, cell, m, x64, hx64, params64)
    if cell.check == "alone":
        b = cell.batch - 1
        alone = replace(cell, batch=1, check="values")
        x1 = x64[:, b:b + 1]
        hx1 = None if hx64 is None else tuple(s[:, b:b + 1] for s in hx64) if isinstance(hx64, tuple) else hx64[:, b:b + 1]
        return values_check(fn, alone, m, x1, hx1, params64)
    if cell.check == "backward":
        return backward_check(fn, cell, m, x64, hx64, params64)
    if cell.check == "purity":
        return purity_check(fn, cell, m, x64, hx64, params64)
    if cell.check == "delegation":
        seen = set()
        try:
            with _Functions(seen), _Ops(seen):
                got = flatten(call(fn, cell, x64.to(dt), cast(hx64, dt), cast(params64, dt)), cell.mode)
        except Exception as e:  # noqa: BLE001
            return [("error", f"{type(e).__name__}: {e}")]
        found = kernels(seen)
        want = torch_run(cell, m, x64, hx64, torch.float64)
        return ([("delegation", f"reached {', '.join(found)}")] if found else []) + judge(
            cell, got, want, errors_of_torch(cell, m, x64, hx64, want, {dt}))
    return values_check(fn, cell, m, x64, hx64, params64)


def values_check(fn, cell, m, x64, hx64, params64):
    dt = cell.dtype
    want = torch_run(cell, m, x64, hx64, torch.float64)
    try:
        got = flatten(call(fn, cell, x64.to(dt), cast(hx64, dt), cast(params64, dt)), cell.mode)
    except Exception as e:  # noqa: BLE001
        return [("error", f"{type(e).__name__}: {e}")]
    return judge(cell, got, want, errors_of_torch(cell, m, x64, hx64, want, {dt, *(data(g).dtype for g in got.values()
                                                                               if isinstance(data(g), torch.Tensor))}))


def split_check(fn, cell, m, x64, hx64, params64):
    """Two calls, the second from the first's returned state, against one torch.nn call."""
    dt = cell.dtype
    want = torch_run(cell, m, x64, hx64, torch.float64)
    cut = cell.time // 2
    try:
        first = flatten(call(fn, cell, x64[:cut].to(dt), cast(hx64, dt), cast(params64, dt)), cell.mode)
        carried = (first["h_n"], first["c_n"]) if cell.mode == "lstm" else first["h_n"]
        second = flatten(call(fn, cell, x64[cut:].to(dt), cast(carried, dt), cast(params64, dt)), cell.mode)
        joined = dict(second, output=torch.cat([first["output"], second["output"]], 0))
    except Exception as e:  # noqa: BLE001
        return [("error", f"{type(e).__name__}: {e}")]
    return [(k, "two calls joined: " + t) for k, t in judge(cell, joined, want, errors_of_torch(cell, m, x64, hx64, want, {dt}))]


_GRADS = {}


def backward_check(fn, cell, m, x64, hx64, params64):
    dt = cell.dtype
    want64 = torch_run(cell, m, x64, hx64, torch.float64)
    # torch.nn's gradients in the cell's dtype
    g = torch.Generator().manual_seed(7)
    upstream = {k: torch.randn(data(v).shape, generator=g, dtype=torch.float64) for k, v in want64.items()}

    def grads(run):
        x, hx, params = cast(x64, dt, True), cast(hx64, dt, True), cast(params64, dt, True)
        result = flatten(run(x, hx, params), cell.mode)
        leaves = [x] + (list(hx) if isinstance(hx, tuple) else [hx] if hx is not None else []) + list(params.values())
        names = ["input"] + (["h0", "c0"] if isinstance(hx, tuple) else ["h0"] if hx is not None else []) + list(params)
        return result, names, leaves

    if cell not in _GRADS:  # torch.nn's gradients: once per cell, like torch_run
        mm = copy.deepcopy(m).to(dt)
        want, names, leaves = grads(lambda x, hx, p: torch.func.functional_call(mm, p, (pack(cell, x), hx)))
        loss = sum((data(want[k]).double() * upstream[k]).sum() for k in want)
        _GRADS[cell] = torch.autograd.grad(loss, leaves, allow_unused=True)
    want_grads = _GRADS[cell]
    try:
        got, names, leaves = grads(lambda x, hx, p: call(fn, cell, x, hx, p))
    except Exception as e:  # noqa: BLE001
        return [("error", f"{type(e).__name__}: {e}")]
    findings = [f for f in judge(cell, {k: v.detach() if isinstance(v, torch.Tensor) else v for k, v in got.items()},
                                 want64, errors_of_torch(cell, m, x64, hx64, want64, {dt}))]
    if any(kind == "shape" for kind, _ in findings):
        return findings  # gradients of a mis-shaped result are not compared
    tensors = {k: data(v) for k, v in got.items()}
    dead = [k for k, v in tensors.items() if not v.requires_grad]
    if dead:
        return findings + [("no_grad_fn", f"{', '.join(dead)} carry no grad_fn")]
    loss = sum((tensors[k].double().reshape(upstream[k].shape) * upstream[k]).sum() for k in tensors)
    got_grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    tol = F64_TOL if dt == torch.float64 else 1e-4
    for name, a, b in zip(names, got_grads, want_grads):
        if a is None or b is None:
            if (a is None) != (b is None):
                findings.append(("grad", f"grad of {name} is {'None' if a is None else 'present'}, torch.nn's is not"))
            continue
        err = (a.double() - b.double()).abs().max().item()
        if not err <= tol * max(1.0, b.abs().max().item()):
            findings.append(("grad", f"grad of {name} max|err| {err:.3g}"))
    return findings


def purity_check(fn, cell, m, x64, hx64, params64):
    dt = cell.dtype
    x, hx, params = x64.to(dt).clone(), cast(hx64, dt), cast(params64, dt)
    given = {"input": x, **({"h0": hx[0], "c0": hx[1]} if isinstance(hx, tuple) else {"h0": hx} if hx is not None else {}),
             **params}
    before = {k: (v.clone(), v._version) for k, v in given.items()}
    rng, default, grad_mode = torch.get_rng_state(), torch.get_default_dtype(), torch.is_grad_enabled()
    findings = []
    try:
        first = flatten(call(fn, cell, x, hx, params), cell.mode)
        second = flatten(call(fn, cell, x64.to(dt), cast(hx64, dt), cast(params64, dt)), cell.mode)
    except Exception as e:  # noqa: BLE001
        return [("error", f"{type(e).__name__}: {e}")]
    for k, v in given.items():
        value, version = before[k]
        if not torch.equal(v, value):
            findings.append(("purity", f"modified {k} in place"))
        elif v._version != version:
            findings.append(("purity", f"wrote to {k} in place (same values)"))
    if not torch.equal(rng, torch.get_rng_state()):
        findings.append(("purity", "changed the global RNG state"))
    if torch.get_default_dtype() != default or torch.is_grad_enabled() != grad_mode:
        findings.append(("purity", "changed the default dtype or grad mode"))
    for k in first:
        if not torch.equal(data(first[k]), data(second[k])):
            findings.append(("purity", f"{k} differs between two identical calls"))
    want = torch_run(cell, m, x64, hx64, torch.float64)
    return findings + judge(cell, first, want, errors_of_torch(cell, m, x64, hx64, want, {dt}))


# ------------------------------------------------------------------ driver
FORBIDDEN = ("nn.RNN", "nn.LSTM", "nn.GRU", "RNNCell", "LSTMCell", "GRUCell", "_VF", "torch.lstm", "torch.gru",
             "torch.rnn_", "_rnn_impls", "reference", "pytest_rnnconformance")


def load(folder, name):
    spec = importlib.util.spec_from_file_location(f"row_{name}", folder / f"{name}.py")
    module_ = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module_)
    return module_


def check_file(folder, name, defect, grid, show=False):
    """(the file's summary line, its problems)."""
    source = (folder / f"{name}.py").read_text()
    banned = [w for w in FORBIDDEN if w in source.split('"""', 2)[-1]]
    fn = load(folder, name).forward
    issues, rows_hit, n_hit, kinds_seen, proofs = [], {}, 0, set(), []
    for cell in grid:
        findings = run_cell(fn, cell)
        predicted = defect.shows(cell)
        if findings and show:
            print(f"  {name}: {cell.name()}: " + "; ".join(f"{k}: {t}" for k, t in findings))
        if findings:
            n_hit += 1
            kinds_seen.update(k for k, _ in findings)
            hit = rows_hit.setdefault(cell.row, [0, set()])
            hit[0] += 1
            hit[1].update(k for k, _ in findings)
            if not predicted:
                issues.append(f"    UNEXPECTED {cell.name()}: " + "; ".join(f"{k}: {t}" for k, t in findings))
            elif not {k for k, _ in findings} <= defect.kinds:
                issues.append(f"    UNEXPECTED KIND {cell.name()}: " + "; ".join(f"{k}: {t}" for k, t in findings))
        elif predicted:
            issues.append(f"    MISSED (bug did not show) {cell.name()}")
        if predicted and cell.row == defect.owner and defect.named in MODELS:
            proofs.append((cell, reproduces(fn, cell, defect.named)))
    if banned and name != "no_delegation":
        issues.append(f"    BANNED names in the code: {banned}")
    if defect.owner is not None and defect.owner not in rows_hit:
        issues.append(f"    OWNER {defect.owner}: none of its own cells shows the bug")
    if kinds_seen == {"squeeze"} and defect.owner != "shape":
        issues.append(f"    OWNER {defect.owner}: its only findings are squeezes (values right), which shape owns")
    named = "-"
    if defect.named in NAMED_BY_FINDING:
        named = f"{defect.named} (its {NAMED_BY_FINDING[defect.named]} findings)"
    elif defect.named is not None:
        applied = [(cell, same) for cell, same in proofs if same is not None]
        named = f"{defect.named} (the model in {sum(same for _, same in applied)}/{len(applied)} own cells)"
        if not applied:
            issues.append(f"    NAMED {defect.named}: no cell of {defect.owner} to prove it in")
        issues += [f"    NAMED {defect.named}: the model differs in {cell.name()}"
                   for cell, same in applied if not same]
    describe = lambda row: f"{row} {rows_hit[row][0]} ({'/'.join(sorted(rows_hit[row][1]))})"  # noqa: E731
    own = describe(defect.owner) if defect.owner in rows_hit else "-"
    others = ", ".join(describe(row) for row in rows_hit if row != defect.owner) or "none"
    line = (f"{name + '.py':20} findings in {n_hit:3}/{len(grid)} cells; own row: {own}; named: {named}; other rows "
            f"(their cells draw this dimension too): {others}  -> {'OK' if not issues else 'PROBLEM'}")
    return line, issues


def _check_named(folder, show, name):
    return check_file(folder, name, DEFECTS[name], cells(), show=name in show)


def main(argv):
    options = dict(a[2:].split("=", 1) for a in argv if a.startswith("--"))
    folder = Path(next((a for a in argv if not a.startswith("--")), HERE))
    show = set(options.get("show", "").split(","))
    check = functools.partial(_check_named, folder, show)
    jobs = int(options.get("jobs", 1))
    if jobs > 1:  # files in parallel; forked before torch has run anything
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(check, DEFECTS))
    else:
        results = map(check, DEFECTS)
    problems = 0
    grid = cells()
    for line, issues in results:
        problems += bool(issues)
        print(line)
        for issue in issues[:8]:
            print(issue)
        if len(issues) > 8:
            print(f"    ... and {len(issues) - 8} more")
    print(f"\n{len(DEFECTS)} files x {len(grid)} cells, {problems} files with problems")
    return problems


if __name__ == "__main__":
    torch.set_num_threads(1)  # tensors of a few dozen numbers: more threads only contend for the cores
    sys.exit(main(sys.argv[1:]))
