"""Run every mutant in examples/mutants against torch.nn over a grid of configurations.

Not a mutant itself, and independent of the plugin: ``python examples/mutants/_verify_mutants.py
[DIR [N]]`` from the repository root (N: how many differing configurations to print per mutant).

For each mutant: the configurations its signature supports are run with random weights, random
non-zero h0/c0, batch 3, time 4, input 5, hidden 4 (proj 2) in float64.  A configuration
"matches" when every returned tensor has torch.nn's shape and is within 1e-9 of torch.nn; it
"differs" otherwise (the max abs error, or the shape mismatch, is printed).  The weights are
handed over requiring grad, so a result without a grad_fn (computed under torch.no_grad(), or
detached) "differs" too.  Mutants that take torch.nn's ``train`` flag are also run with
``dropout`` in {0, 0.5, 1} in evaluation and with {0, 1} in training (0.5 in training is random).  BUG_SHOWS says for
each mutant in which configurations its bug must show; a difference anywhere else (a second bug)
makes the mutant a PROBLEM, and so does an error or a call to torch's own RNN code.  Exit status:
the number of problems.

Mutants that take packed input are also run on PackedSequences (lengths equal, sorted and unsorted),
against torch.nn given the same PackedSequence. Where BUG_MODELS has a model of the bug made of
torch.nn alone, the mutant must equal it wherever its bug shows: that is what proves the catalogue id
it stands for.
"""
import copy
import importlib.util
import itertools
import warnings
import sys
from pathlib import Path

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

HERE = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent)
T, B, I, H, P = 4, 3, 5, 4, 2
TOL = 1e-9
warnings.filterwarnings("ignore", message="dropout option adds dropout")  # dropout with one layer


class Spec:
    def __init__(self, mode, num_layers=1, bias=True, batch_first=False, bidirectional=False,
                 proj_size=0, nonlinearity="tanh", dropout=0.0, train=False):
        self.mode, self.input_size, self.hidden_size = mode, I, H
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.bidirectional, self.proj_size, self.nonlinearity = bidirectional, proj_size, nonlinearity
        self.dropout = dropout
        self.train = train  # not a torch.nn attribute: the mode the module runs in (passed as ``train``)

    def __repr__(self):
        parts = [self.mode]
        if self.mode == "rnn":
            parts.append(self.nonlinearity)
        parts.append(f"L{self.num_layers}")
        parts.append("bi" if self.bidirectional else "uni")
        if not self.bias:
            parts.append("nobias")
        if self.batch_first:
            parts.append("bf")
        if self.proj_size:
            parts.append(f"proj{self.proj_size}")
        if self.dropout or self.train:
            parts.append(f"dropout{self.dropout}-{'train' if self.train else 'eval'}")
        return "-".join(parts)


def load(name):
    path = HERE / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"mutant_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(spec, seed):
    torch.manual_seed(seed)
    kw = dict(num_layers=spec.num_layers, bias=spec.bias, batch_first=spec.batch_first,
              bidirectional=spec.bidirectional, dropout=spec.dropout)
    if spec.mode == "rnn":
        m = torch.nn.RNN(I, H, nonlinearity=spec.nonlinearity, **kw)
    elif spec.mode == "lstm":
        m = torch.nn.LSTM(I, H, proj_size=spec.proj_size, **kw)
    else:
        m = torch.nn.GRU(I, H, **kw)
    return m.double().train(spec.train)


def make_inputs(spec, seed, unbatched=False, hx_none=False, batch=B, lengths=None, sorted=True, scale=1.0):
    """(x, hx) in float64; x a PackedSequence of the given lengths (in batch order) when given; x times
    `scale` (1000 drives every pre-activation far into saturation)."""
    g = torch.Generator().manual_seed(seed + 1)
    D = 2 if spec.bidirectional else 1
    Hout = spec.proj_size or H
    if unbatched:
        x = torch.randn(T, I, generator=g, dtype=torch.float64)
        sh, sc = (spec.num_layers * D, Hout), (spec.num_layers * D, H)
    else:
        x = torch.randn(batch, T, I, generator=g, dtype=torch.float64) if spec.batch_first else \
            torch.randn(T, batch, I, generator=g, dtype=torch.float64)
        sh, sc = (spec.num_layers * D, batch, Hout), (spec.num_layers * D, batch, H)
    h0 = torch.randn(*sh, generator=g, dtype=torch.float64)
    c0 = torch.randn(*sc, generator=g, dtype=torch.float64)
    hx = None if hx_none else ((h0, c0) if spec.mode == "lstm" else h0)
    x = x * scale
    if lengths is not None:
        x = pack_padded_sequence(x, torch.tensor(lengths), batch_first=spec.batch_first, enforce_sorted=sorted)
    return x, hx


def flatten(result, mode):
    out, st = result
    if mode == "lstm":
        return {"output": out, "h_n": st[0], "c_n": st[1]}
    return {"output": out, "h_n": st}


def _order(packed):
    """The batch order a PackedSequence was sorted in (None means already sorted: the identity)."""
    if packed.sorted_indices is None:
        return torch.arange(int(packed.batch_sizes[0]))
    return packed.sorted_indices


def unpacked(result, want):
    """``result`` with each PackedSequence replaced by its data, and the mismatches of the packing
    itself (not a PackedSequence where torch.nn returns one, other batch sizes or indices)."""
    plain, mismatches = {}, []
    for k, v in result.items():
        w = want[k]
        if isinstance(w, PackedSequence):
            if not isinstance(v, PackedSequence):
                mismatches.append(f"{k} is {type(v).__name__}, torch.nn returns a PackedSequence")
            elif not (torch.equal(v.batch_sizes, w.batch_sizes) and torch.equal(_order(v), _order(w))):
                mismatches.append(f"{k}: batch_sizes or order differ from torch.nn's")
            v = v.data if isinstance(v, PackedSequence) else v
        plain[k] = v
    return plain, mismatches


def compare(got, want):
    """(max error, list of shape mismatches)"""
    worst, shapes = 0.0, []
    for k, w in want.items():
        v = got[k]
        if tuple(v.shape) != tuple(w.shape):
            shapes.append(f"{k} {tuple(v.shape)} vs torch {tuple(w.shape)}")
            continue
        worst = max(worst, (v.double() - w).abs().nan_to_num(nan=float("inf")).max().item())  # NaN differs
    return worst, shapes


# ------------------------------------------------------------------ adapters: call a mutant in torch.nn's terms
def canonical(fn):
    def call(spec, x, hx, params):
        return fn(x, hx, params, spec)
    return call


def lstm_by_name_tuple(fn, seq_first=True):  # lstm_forward(input, initial_states, w_ih, w_hh, b_ih, b_hh, w_hr=None)
    def call(spec, x, hx, p):
        h0, c0 = hx
        kw = {"w_hr": p["weight_hr_l0"]} if spec.proj_size else {}
        out, (h, c) = fn(x, (h0[0], c0[0]), p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"], **kw)
        return out, (h.unsqueeze(0), c.unsqueeze(0))
    return call


def lstm_by_name_state(fn):  # lstm_forward(input, state, weight_ih, weight_hh, bias_ih, bias_hh)
    def call(spec, x, hx, p):
        out, (h, c) = fn(x, (hx[0][0], hx[1][0]), p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
        return out, (h.unsqueeze(0), c.unsqueeze(0))
    return call


def lstm_by_name_h0_c0(fn):  # lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    def call(spec, x, hx, p):
        out, (h, c) = fn(x, hx[0][0], hx[1][0], p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
        return out, (h.unsqueeze(0), c.unsqueeze(0))
    return call


def single_h_by_name(fn, order):  # gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh) / rnn_forward(input, w.., h_prev)
    def call(spec, x, hx, p):
        args = {"x": x, "h": hx[0], "w_ih": p["weight_ih_l0"], "w_hh": p["weight_hh_l0"],
                "b_ih": p.get("bias_ih_l0"), "b_hh": p.get("bias_hh_l0")}
        out, h = fn(*[args[k] for k in order])
        return out, h.unsqueeze(0)
    return call


def canonical_train(fn):  # forward(input, hx, params, spec, train=False)
    def call(spec, x, hx, params):
        return fn(x, hx, params, spec, train=spec.train)
    return call


def rnn_with_settings(fn):  # rnn_forward(input, h0, w_ih, w_hh, b_ih, b_hh, batch_first=False, nonlinearity="tanh")
    def call(spec, x, hx, p):
        out, h = fn(x, hx[0], p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"],
                    batch_first=spec.batch_first, nonlinearity=spec.nonlinearity)
        return out, h.unsqueeze(0)
    return call


def bidirectional_by_name(fn):
    def call(spec, x, hx, p):
        return fn(x, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"], hx[0],
                  p["weight_ih_l0_reverse"], p["weight_hh_l0_reverse"], p["bias_ih_l0_reverse"],
                  p["bias_hh_l0_reverse"], hx[1])
    return call


# ------------------------------------------------------------------ what each mutant supports
def grid(modes, layers=(1, 2), dirs=(False, True), bias=(True, False), bf=(False, True), proj=(0, P),
         relu=True, unbatched=True, hx_none=True):
    for mode, L, bi, b, f in itertools.product(modes, layers, dirs, bias, bf):
        nls = ("tanh", "relu") if (mode == "rnn" and relu) else ("tanh",)
        projs = proj if mode == "lstm" else (0,)
        for nl, pj in itertools.product(nls, projs):
            spec = Spec(mode, L, b, f, bi, pj, nl)
            yield spec, dict()
            if hx_none:
                yield spec, dict(hx_none=True)
            if unbatched and not f:
                yield spec, dict(unbatched=True)


ALL = ("rnn", "lstm", "gru")
M = {}
M["gate_order_lstm"] = ("lstm_forward", "by-name, seq-first", lambda m: lstm_by_name_tuple(m.lstm_forward),
                        lambda: grid(("lstm",), layers=(1,), dirs=(False,), bias=(True,), bf=(False,), unbatched=False, hx_none=False))
M["gate_order_gru"] = ("gru_forward", "by-name, batch-first", lambda m: single_h_by_name(m.gru_forward, ["x", "h", "w_ih", "w_hh", "b_ih", "b_hh"]),
                       lambda: grid(("gru",), layers=(1,), dirs=(False,), bias=(True,), bf=(True,), unbatched=False, hx_none=False))
M["missing_bias_hh"] = ("forward", "canonical", lambda m: canonical(m.forward), lambda: grid(ALL))
M["missing_bias_ih"] = ("rnn_forward", "by-name, batch-first",
                        lambda m: single_h_by_name(m.rnn_forward, ["x", "w_ih", "w_hh", "b_ih", "b_hh", "h"]),
                        lambda: grid(("rnn",), layers=(1,), dirs=(False,), bias=(True,), bf=(True,), relu=False, unbatched=False, hx_none=False))
M["bias_twice"] = ("lstm_forward", "canonical (lstm)", lambda m: canonical(m.lstm_forward), lambda: grid(("lstm",), unbatched=False))
M["reverse_hn_last_step"] = ("bidirectional_rnn_forward", "by-name, bidirectional, seq-first", lambda m: bidirectional_by_name(m.bidirectional_rnn_forward),
                             lambda: grid(("rnn",), layers=(1,), dirs=(True,), bias=(True,), bf=(False,), relu=False, unbatched=False, hx_none=False))
M["reverse_output_not_flipped"] = ("forward", "canonical", lambda m: canonical(m.forward), lambda: grid(ALL))
M["state_layout_direction_major"] = ("forward", "canonical", lambda m: canonical(m.forward), lambda: grid(ALL, layers=(1, 2, 3)))
M["gru_reset_before_matmul"] = ("gru_forward", "by-name, seq-first", lambda m: single_h_by_name(m.gru_forward, ["x", "h", "w_ih", "w_hh", "b_ih", "b_hh"]),
                                lambda: grid(("gru",), layers=(1,), dirs=(False,), bf=(False,), unbatched=False, hx_none=False))
M["gru_update_swapped"] = ("forward", "canonical (gru)", lambda m: canonical(m.forward), lambda: grid(("gru",)))
M["proj_applied_to_c"] = ("lstm_forward", "canonical (lstm)", lambda m: canonical(m.lstm_forward), lambda: grid(("lstm",)))
M["proj_missing"] = ("lstm_forward", "by-name, batch-first", lambda m: lstm_by_name_tuple(m.lstm_forward),
                     lambda: grid(("lstm",), layers=(1,), dirs=(False,), bias=(True,), bf=(True,), unbatched=False, hx_none=False))
M["wrong_nonlinearity"] = ("rnn_forward", "canonical (rnn)", lambda m: canonical(m.rnn_forward), lambda: grid(("rnn",)))
M["state_not_carried"] = ("lstm_forward", "by-name, seq-first, h0 and c0", lambda m: lstm_by_name_h0_c0(m.lstm_forward),
                          lambda: grid(("lstm",), layers=(1,), dirs=(False,), bias=(True,), bf=(False,), proj=(0,), unbatched=False, hx_none=False))
M["time_shift"] = ("forward", "canonical", lambda m: canonical(m.forward), lambda: grid(ALL, unbatched=False))
M["weights_transposed"] = ("gru_forward", "by-name, batch-first", lambda m: single_h_by_name(m.gru_forward, ["x", "h", "w_ih", "w_hh", "b_ih", "b_hh"]),
                           lambda: grid(("gru",), layers=(1,), dirs=(False,), bias=(True,), bf=(True,), unbatched=False, hx_none=False))
M["batch_mixing"] = ("lstm_forward", "by-name, batch-first", lambda m: lstm_by_name_state(m.lstm_forward),
                     lambda: grid(("lstm",), layers=(1,), dirs=(False,), bias=(True,), bf=(True,), proj=(0,), unbatched=False, hx_none=False))
M["low_precision"] = ("forward", "canonical", lambda m: canonical(m.forward), lambda: grid(ALL))
M["hn_batch_first"] = ("forward", "canonical", lambda m: canonical(m.forward), lambda: grid(ALL))
M["default_dtype_buffer"] = ("gru_forward", "by-name, seq-first", lambda m: single_h_by_name(m.gru_forward, ["x", "h", "w_ih", "w_hh", "b_ih", "b_hh"]),
                             lambda: grid(("gru",), layers=(1,), dirs=(False,), bias=(True,), bf=(False,), unbatched=False, hx_none=False))
M["initial_state_ignored"] = ("rnn_forward", "by-name, batch-first",
                              lambda m: single_h_by_name(m.rnn_forward, ["x", "w_ih", "w_hh", "b_ih", "b_hh", "h"]),
                              lambda: grid(("rnn",), layers=(1,), dirs=(False,), bias=(True,), bf=(True,), relu=False, unbatched=False, hx_none=False))
M["cell_state_ignored"] = ("lstm_forward", "by-name, seq-first, h0 and c0", lambda m: lstm_by_name_h0_c0(m.lstm_forward),
                           lambda: grid(("lstm",), layers=(1,), dirs=(False,), bias=(True,), bf=(False,), proj=(0,), unbatched=False, hx_none=False))
M["gate_substituted"] = ("lstm_forward", "canonical (lstm)", lambda m: canonical(m.lstm_forward), lambda: grid(("lstm",)))
M["wrong_gate_activation"] = ("lstm_forward", "by-name, batch-first", lambda m: lstm_by_name_tuple(m.lstm_forward),
                              lambda: grid(("lstm",), layers=(1,), dirs=(False,), bias=(True,), bf=(True,), unbatched=False, hx_none=False))
M["output_seq_first"] = ("rnn_forward", "by-name with batch_first and nonlinearity settings", lambda m: rnn_with_settings(m.rnn_forward),
                         lambda: grid(("rnn",), layers=(1,), dirs=(False,), bias=(True,), unbatched=False, hx_none=False))
M["low_precision_half"] = ("gru_forward", "by-name, seq-first", lambda m: single_h_by_name(m.gru_forward, ["x", "h", "w_ih", "w_hh", "b_ih", "b_hh"]),
                           lambda: grid(("gru",), layers=(1,), dirs=(False,), bias=(True,), bf=(False,), unbatched=False, hx_none=False))
M["dropout_in_eval"] = ("forward", "canonical with train", lambda m: canonical_train(m.forward), lambda: with_dropout(grid(ALL)))
M["detached_outputs"] = ("forward", "canonical", lambda m: canonical(m.forward), lambda: grid(ALL))
M["unstable_activation"] = ("rnn_forward", "by-name, seq-first", lambda m: single_h_by_name(m.rnn_forward, ["x", "h", "w_ih", "w_hh", "b_ih", "b_hh"]),
                            lambda: ((spec, dict(extra, scale=scale)) for spec, extra in grid(("rnn",), layers=(1,), dirs=(False,), bias=(True,), bf=(False,), relu=False, unbatched=False, hx_none=False) for scale in (1.0, 1000.0)))


# When the bug shows (T=4, B=3, random non-zero h0): the mutant must match torch.nn everywhere else.
ALWAYS = lambda s, e: True  # noqa: E731
BUG_SHOWS = {
    "gate_order_lstm": ALWAYS, "gate_order_gru": ALWAYS, "missing_bias_ih": ALWAYS,
    "missing_bias_hh": lambda s, e: s.bias,
    "bias_twice": lambda s, e: s.bias,
    "reverse_hn_last_step": ALWAYS,
    "reverse_output_not_flipped": lambda s, e: s.bidirectional,
    "state_layout_direction_major": lambda s, e: s.bidirectional and s.num_layers > 1,
    "gru_reset_before_matmul": ALWAYS, "gru_update_swapped": ALWAYS,
    "proj_applied_to_c": lambda s, e: s.proj_size > 0,
    "proj_missing": lambda s, e: s.proj_size > 0,
    "wrong_nonlinearity": lambda s, e: s.nonlinearity == "relu",
    "state_not_carried": ALWAYS, "time_shift": ALWAYS, "weights_transposed": ALWAYS,
    "batch_mixing": lambda s, e: e.get("batch", B) > 1,
    "low_precision": ALWAYS,
    "hn_batch_first": lambda s, e: s.batch_first and not e.get("unbatched"),
    "default_dtype_buffer": ALWAYS,  # float64 input: a float32 output
    "initial_state_ignored": ALWAYS,  # random non-zero h0
    "cell_state_ignored": ALWAYS,  # random non-zero c0
    "gate_substituted": ALWAYS,  # T = 4: from t = 1 the cell state is non-zero
    "wrong_gate_activation": ALWAYS,
    "output_seq_first": lambda s, e: s.batch_first,
    "low_precision_half": ALWAYS,
    "dropout_in_eval": lambda s, e: s.dropout > 0 and s.num_layers > 1 and not s.train,
    "detached_outputs": ALWAYS,  # as "no grad_fn"
    "unstable_activation": lambda s, e: e.get("scale", 1.0) > 100,  # saturated: e^{2x} overflows
}


def with_dropout(configs):
    """Each configuration with dropout 0, 0.5, 1 in evaluation and 0, 1 in training (0.5 in training is random)."""
    for spec, extra in configs:
        for p, train in ((0.0, False), (0.5, False), (1.0, False), (0.0, True), (1.0, True)):
            variant = copy.copy(spec)
            variant.dropout, variant.train = p, train
            yield variant, extra


def with_batch_one(configs):
    for spec, extra in configs:
        yield spec, extra
        yield spec, dict(extra, batch=1)


M["batch_mixing"] = M["batch_mixing"][:3] + ((lambda f: (lambda: with_batch_one(f())))(M["batch_mixing"][3]),)


PACKINGS = (dict(lengths=(T, T, T)), dict(lengths=(T, 3, 1)), dict(lengths=(2, T, 3), sorted=False))


def with_packed(configs):
    """Each batched configuration, then the same as a PackedSequence of equal lengths, of sorted
    unequal lengths and of unsorted ones."""
    for spec, extra in configs:
        yield spec, extra
        if not extra.get("unbatched"):
            for packing in PACKINGS:
                yield spec, dict(extra, **packing)


M["packed_padding"] = ("forward", "canonical (gru), packed", lambda m: canonical(m.forward),
                       lambda: with_packed(grid(("gru",), layers=(1,))))
BUG_SHOWS["packed_padding"] = lambda s, e: len(set(e.get("lengths", (T,)))) > 1


def _padding_run(spec, m, x, hx):
    """packed_padding_run: torch.nn run over the padded batch, padding included, packed again."""
    padded, lengths = pad_packed_sequence(x)
    with torch.no_grad():
        out, states = m(padded, hx) if not spec.batch_first else m(padded.transpose(0, 1), hx)
    if spec.batch_first:
        out = out.transpose(0, 1)
    return flatten((pack_padded_sequence(out, lengths, enforce_sorted=x.sorted_indices is None), states), spec.mode)


#: the bug rebuilt from torch.nn alone, where the mutant must equal it (wherever BUG_SHOWS)
BUG_MODELS = {"packed_padding": _padding_run}


FORBIDDEN = ("nn.RNN", "nn.LSTM", "nn.GRU", "RNNCell", "LSTMCell", "GRUCell", "_VF", "torch.lstm", "torch.gru",
             "torch.rnn_", "_rnn_impls", "reference", "pytest_rnnconformance")


def main():
    torch.set_printoptions(precision=4)
    failures = 0
    for name, (entry, conv, adapter, configs) in M.items():
        source = (HERE / f"{name}.py").read_text()
        banned = [w for w in FORBIDDEN if w in source.split('"""', 2)[-1]]
        module = load(name)
        call = adapter(module)
        n_match = n_diff = n_err = n_model = 0
        diffs, unexpected, masked = [], [], []
        for k, (spec, extra) in enumerate(configs()):
            m = build(spec, seed=k)
            params = {n: p.detach().clone() for n, p in m.named_parameters()}
            x, hx = make_inputs(spec, seed=k, **extra)
            with torch.no_grad():
                want = flatten(m(x) if hx is None else m(x, hx), spec.mode)
            # the weights require grad, so a differentiable result has a grad_fn
            weights = {n: p.clone().requires_grad_() for n, p in params.items()}
            try:
                got = flatten(call(spec, x, hx, weights), spec.mode)
            except NotImplementedError:
                continue
            except Exception as e:  # noqa: BLE001
                n_err += 1
                diffs.append(f"    ERROR {spec}{' ' + str(extra) if extra else ''}: {type(e).__name__}: {e}")
                continue
            modelled = BUG_MODELS.get(name)
            model = modelled(spec, m, x, hx) if modelled and BUG_SHOWS[name](spec, extra) else None
            got, packing = unpacked(got, want)
            want = {k2: v2.data if isinstance(v2, PackedSequence) else v2 for k2, v2 in want.items()}
            detached = [k2 for k2, v2 in got.items() if not v2.requires_grad]
            got = {k2: v2.detach() for k2, v2 in got.items()}
            err, shapes = compare(got, want)
            shapes = packing + shapes
            shapes += [f"{k2} has no grad_fn" for k2 in detached]
            shapes += [f"{k2} dtype {got[k2].dtype}" for k2 in want if got[k2].dtype != want[k2].dtype]
            tag = f"{spec}" + ("".join(f" {k2}={v2}" for k2, v2 in extra.items()))
            differs = bool(shapes) or err > TOL
            predicted = BUG_SHOWS[name](spec, extra)
            if model is not None:
                model_got, model_packing = unpacked(flatten(call(spec, x, hx, params), spec.mode), model)
                model_err, model_shapes = compare(model_got, unpacked(model, model)[0])
                n_model += 1
                if model_packing or model_shapes or model_err > TOL:
                    unexpected.append(f"    NOT THE BUG'S MODEL {tag}: {model_packing + model_shapes} {model_err:.3g}")
            if differs and not predicted:
                unexpected.append(f"    UNEXPECTED difference (a second bug?) {tag}: {shapes} {err:.3g}")
            elif predicted and not differs:
                masked.append(f"    bug masked in {tag} (torch.nn output all zero: {bool((want['output'] == 0).all())})")
            if differs:
                n_diff += 1
                where = [k2 for k2 in want if got[k2].shape == want[k2].shape
                         and not (got[k2].double() - want[k2]).abs().max() <= TOL]  # NaN differs too
                diffs.append(f"    differs {tag}: " + ("; ".join(shapes) + (" " if shapes else "")) +
                             (f"max|err| {err:.3g} in {', '.join(where)}" if where else ""))
            else:
                n_match += 1
        if name in BUG_MODELS and n_model == 0:
            unexpected.append("    the bug's model applied nowhere")
        status = "OK" if (n_diff > 0 and n_err == 0 and not banned and not unexpected) else "PROBLEM"
        if status != "OK":
            failures += 1
        print(f"{name}.py:{entry}  [{conv}]  configs: {n_match} match torch.nn, {n_diff} differ, {n_err} errors; "
              f"every difference where the bug predicts one"
              f"{f'; equal to the bug model of torch.nn in {n_model}' if name in BUG_MODELS else ''}"
              f"{'  BANNED ' + str(banned) if banned else ''}  -> {status}")
        for line in unexpected + masked:
            print(line)
        for line in diffs[:int(sys.argv[2]) if len(sys.argv) > 2 else 6]:
            print(line)
        if len(diffs) > (int(sys.argv[2]) if len(sys.argv) > 2 else 6):
            print(f"    ... and {len(diffs) - (int(sys.argv[2]) if len(sys.argv) > 2 else 6)} more")
    print(f"\n{len(M)} mutants, {failures} problems")
    return failures


if __name__ == "__main__":
    torch.set_num_threads(1)  # tensors of a few dozen numbers: more threads only contend for the cores
    sys.exit(main())
