"""Code as people write it, used as written: one example per idiom, and a wrong variant of each.

`examples/as_written/` has one small implementation per way people write an RNN (numpy homework with
a cache, a numpy class, a book's params list with an output layer, per-gate weights, per-gate
weights on [h, x], a module with names of its own, a module wrapping nn.GRU, a module with
input_dim/hidden_dim and nn.Linear layers, a single cell, a float32 buffer, a batch-first-only
function, a Class.method), each run with the one line the README's "Your code as you wrote it"
gives for it (test_readme.py checks the README shows these lines); and in
`examples/as_written/wrong/` the same code with one mistake. Each correct one gets its verdict (every
row it can be asked passes, or fails alone where the idiom itself is the finding: the float32
buffer's dtype, the wrapper's delegation); each wrong one fails the row that owns its mistake, named.

Then the binder's promises one at a time, on small implementations written here: numpy in and out,
plain classes, a module's own names (and the refusal with a ready ``--rnn-bind`` line), declared and
guessed bindings (a guess never reorders gates), single cells (calling torch's cells is delegation)
and anything at all returned (one line saying what came back, never an internal error).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import pytest

from matrix import run_matrix
from pytest_rnnconformance.bind import BindingError, candidates
from pytest_rnnconformance.bind.binding import signature_parameters
from pytest_rnnconformance.bind.expressions import DeclarationError, parse_map
from pytest_rnnconformance.bind.functions import arguments_by_name
from pytest_rnnconformance.bind.load import load_target

from conftest import EXAMPLES

AS_WRITTEN = EXAMPLES / "as_written"


@dataclass(frozen=True)
class Idiom:
    entry: str
    bind: str = None
    returns: str = None
    fails: frozenset = frozenset()  # rows the correct example fails on purpose (the idiom is the finding)
    passes: frozenset = frozenset({"forward", "float64", "edge_cases", "shape", "purity"})
    unsupported: dict = field(default_factory=dict)  # row -> words its reason must hold
    header: tuple = ()  # words the report header must hold
    owner: str = "forward"  # the row the wrong variant fails
    diagnosis: str = ""  # ...named so


NUMPY = {"backward": "numpy", "no_delegation": "numpy"}
IDIOMS = {
    "numpy_homework": Idiom(
        "rnn_forward", "Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh", "output,_",
        passes=frozenset({"forward", "float64", "dtype", "edge_cases", "continuation", "shape", "purity"}),
        unsupported=NUMPY, header=("batch-first", "numpy arrays"), diagnosis="state_not_carried"),
    "numpy_class": Idiom(
        "NumpyGRU", unsupported=NUMPY, header=("class:", "numpy arrays"), diagnosis="gru_update_swapped"),
    "params_list": Idiom(
        "rnn", "state=(hx,),params=[weight_ih.T,weight_hh.T,bias_ih+bias_hh,eye,zeros]", "output_cat,(h_n,)",
        passes=frozenset({"forward", "float64", "backward", "continuation", "shape"}), header=("declared:",),
        diagnosis="wrong_nonlinearity"),
    "per_gate": Idiom(
        "lstm_forward", "auto", passes=frozenset({"forward", "backward", "continuation"}),
        header=("auto guessed: W_xi=weight_ih[i].T", "W_xc=weight_ih[g].T"), diagnosis="wrong_gate_activation"),
    "per_gate_concat": Idiom(
        "lstm_step", "auto", unsupported={**NUMPY, "unbatched": "refused unbatched"},
        header=("auto guessed", "W_f=cat(weight_hh[f],weight_ih[f])"), diagnosis="gate_substituted"),
    "own_names_module": Idiom(
        "MyLSTM", passes=frozenset({"forward", "default_state", "backward", "continuation"}),
        unsupported={"packed": "parameters of its own"},
        header=("W_x=weight_ih.T (name W_x: input weight; shape [5, 16] is (in, out))",
                "W_h=weight_hh.T (name W_h: hidden weight"), diagnosis="gate_order"),
    "wraps_nn": Idiom(
        "GRUEncoder", fails=frozenset({"no_delegation"}),
        passes=frozenset({"forward", "default_state", "unbatched", "packed", "backward", "shape"}),
        unsupported={"layout": "batch_first=True"}, header=("wraps torch.nn.GRU as gru",),
        diagnosis="initial_state_ignored"),
    "constructor_sizes": Idiom(
        "SimpleRNN", passes=frozenset({"forward", "default_state", "backward", "continuation"}),
        header=("i2h.weight=weight_ih (read as W_i2h: input weight", "h2h.bias=bias_hh"), diagnosis="wrong_nonlinearity"),
    "single_cell": Idiom(
        "lstm_cell", passes=frozenset({"forward", "unbatched", "backward", "float64", "edge_cases", "shape",
                                       "no_delegation"}),
        diagnosis="gate_order"),
    "float32_buffer": Idiom(
        "rnn_forward", fails=frozenset({"dtype"}), passes=frozenset({"forward", "float64", "backward", "shape"}),
        owner="default_state", diagnosis="default_dtype_buffer"),
    "batch_first_only": Idiom(
        "gru_forward", unsupported={"layout": "refused batch_first=False: only batch_first=True"},
        header=("batch-first", "refused batch_first=False"), diagnosis="gru_reset_before_matmul"),
    "class_method": Idiom(
        "CharRNN.run", "auto", unsupported={**NUMPY, "layout": "batch_first"},
        header=("unbatched only", "auto guessed: Wxh=weight_ih,Whh=weight_hh,bh=bias_ih+bias_hh"),
        diagnosis="wrong_nonlinearity"),
}


def matrix(path, idiom: Idiom, **options):
    return run_matrix(f"{path}:{idiom.entry}", bind=idiom.bind, returns=idiom.returns, dtypes=("float64",),
                      max_examples=3, **options)


@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_each_idiom_as_written_and_its_wrong_variant(name):
    idiom = IDIOMS[name]
    right = matrix(AS_WRITTEN / f"{name}.py", idiom)
    assert right.failing() == set(idiom.fails), right.verdicts()
    assert {row for row in idiom.passes if right.statuses.get(row) == "pass"} == set(idiom.passes), right.verdicts()
    for row, words in idiom.unsupported.items():
        assert right.statuses[row] == "unsupported" and words in right.reasons[row], right.verdicts()
    for words in idiom.header:
        assert words in right.summary.description, right.verdicts()
    wrong = matrix(AS_WRITTEN / "wrong" / f"{name}.py", idiom)
    assert wrong.failing() - idiom.fails == {idiom.owner}, wrong.verdicts()
    assert wrong.failures[idiom.owner].diagnosis[:1] == [idiom.diagnosis], wrong.verdicts()


def test_every_example_has_a_wrong_variant_and_an_idiom():
    correct = {p.stem for p in AS_WRITTEN.glob("*.py")}
    wrong = {p.stem for p in (AS_WRITTEN / "wrong").glob("*.py")}
    assert correct == wrong == set(IDIOMS)


# ------------------------------------------------------------------------------------------ helpers
def write(tmp_path, source: str, name: str = "impl.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def ready_lines(message: str) -> list:
    """The ``--rnn-bind`` values a refusal prints one to a line, as printed."""
    return [line.split('"')[1] for line in message.splitlines() if line.strip().startswith("--rnn-bind")]


def assert_a_line_per_reading_and_auto_passes(path, entry: str, expected: list) -> list:
    """Refused with one ready line per reading of its weights (`expected`, in order); `auto` tries them
    and passes forward. The lines, for more checks."""
    with pytest.raises(BindingError) as raised:
        bind(path, entry)
    lines = ready_lines(str(raised.value))
    assert lines == expected
    result = run_matrix(f"{path}:{entry}", bind="auto", dtypes=("float64",), rows=("forward",))
    assert result.statuses == {"forward": "pass"}, result.verdicts()
    return lines


def bind(path, entry: str, declared=None, mode=None, returns=None) -> tuple:
    return candidates(load_target(f"{path}:{entry}"), entry, mode, declared=declared, returns=returns)


RNN_BODY = """
    h, out = h0, []
    for step in x:
        h = np.tanh(step @ Wx + h @ Wh + b)
        out.append(h)
    return np.stack(out), h
"""


# ------------------------------------------------------------------------------------------ numpy
def test_numpy_returning_float64_for_float32_input_is_a_dtype_finding_only(tmp_path):
    path = write(tmp_path, """
        import numpy as np

        def rnn_forward(x, h0, Wx, Wh, b):
            T, N, _ = x.shape
            h = np.zeros((T, N, h0.shape[-1]))      # float64, whatever x is
            prev = h0
            for t in range(T):
                prev = np.tanh(x[t] @ Wx + prev @ Wh + b)
                h[t] = prev
            return h, prev
        """)
    result = run_matrix(f"{path}:rnn_forward", bind="Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh",
                        dtypes=("float32", "float64"), max_examples=3)
    assert result.failing() == {"dtype"}, result.verdicts()
    assert "numpy computes in float64" in " ".join(result.failures["dtype"].details)
    assert result.statuses["forward"] == result.statuses["float64"] == "pass"
    assert "numpy" in result.reasons["backward"]


def test_numpy_code_that_also_takes_tensors_is_called_with_arrays(tmp_path):
    """np.tanh on a tensor gives a tensor without a graph: called with arrays, as written, its
    backward row is unsupported (numpy), not a failure."""
    path = write(tmp_path, "import numpy as np\n\ndef rnn_forward(x, h0, Wx, Wh, b):" + RNN_BODY)
    result = run_matrix(f"{path}:rnn_forward", bind="Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh",
                        dtypes=("float64",), rows=("forward", "backward"))
    assert result.statuses == {"forward": "pass", "backward": "unsupported"}, result.verdicts()
    assert "numpy arrays" in result.summary.description


# ------------------------------------------------------------------------------------------ classes
def test_a_plain_class_that_makes_its_own_weights_gets_them_by_name_and_shape(tmp_path):
    path = write(tmp_path, """
        import numpy as np

        class TinyRNN:
            def __init__(self, input_size, hidden_size):
                self.W_xh = np.zeros((input_size, hidden_size))
                self.W_hh = np.zeros((hidden_size, hidden_size))
                self.b_h = np.zeros(hidden_size)

            def forward(self, x, h0):
                h, out = h0, []
                for step in x:
                    h = np.tanh(step @ self.W_xh + h @ self.W_hh + self.b_h)
                    out.append(h)
                return np.stack(out), h
        """)
    result = run_matrix(f"{path}:TinyRNN", dtypes=("float64",), rows=("forward", "continuation"))
    assert set(result.statuses.values()) == {"pass"}, result.verdicts()
    assert "class:" in result.summary.description


def test_a_class_without_bias_or_state_is_checked_without_them(tmp_path):
    path = write(tmp_path, """
        import numpy as np

        class NoBias:
            def __init__(self, w_ih, w_hh, hidden_size):
                self.w_ih, self.w_hh, self.hidden_size = w_ih, w_hh, hidden_size

            def forward(self, x):
                h, out = np.zeros(self.hidden_size, dtype=x.dtype), []
                for step in x:
                    h = np.tanh(self.w_ih @ step + self.w_hh @ h)
                    out.append(h)
                return np.stack(out), h
        """)
    result = run_matrix(f"{path}:NoBias", mode="rnn", dtypes=("float64",))
    assert result.failing() == set(), result.verdicts()
    support = result.summary.support
    assert support.bias == frozenset({False}) and not support.state_given and not support.batched


def test_a_class_handed_its_weights_reads_its_bias_as_one_vector_not_the_switch(tmp_path):
    """Beside the weights a constructor is handed, ``bias`` is a weight too: one vector for both
    sides, as a function's is. Read as torch.nn's switch, the check handed this correct class True
    for it, every candidate differed from torch.nn, and forward failed it, as written
    (`bench/generated.py`'s false failure). A constructor of sizes alone builds its own weights:
    there ``bias`` stays the switch."""
    path = write(tmp_path, """
        import numpy as np

        class ScratchRNN:
            def __init__(self, w_ih, w_hh, bias):
                self.w_ih, self.w_hh, self.bias = w_ih, w_hh, bias

            def run(self, x, h0):
                h, out = h0, []
                for step in x:
                    h = np.tanh(step @ self.w_ih.T + h @ self.w_hh.T + self.bias)
                    out.append(h)
                return np.stack(out), h

        class SizedRNN:
            def __init__(self, input_size, hidden_size, bias):
                self.sizes, self.bias = (input_size, hidden_size), bias
        """)
    result = run_matrix(f"{path}:ScratchRNN.run", dtypes=("float64",), rows=("forward", "no_bias"))
    assert result.statuses == {"forward": "pass", "no_bias": "unsupported"}, result.verdicts()
    (handed,) = [a for a in bind(path, "ScratchRNN.run")[0].construction.arguments if a.name == "bias"]
    assert str(handed.value) == "bias_ih+bias_hh"
    sized = arguments_by_name(signature_parameters(load_target(f"{path}:SizedRNN")), {}, "SizedRNN", constructor=True)
    assert [str(a.value) for a in sized if a.name == "bias"] == ["bias"]


def test_a_bias_beside_one_bound_by_name_is_the_other_side_not_both(tmp_path):
    """``b_xh`` beside ``b_hh`` (bound by its name) is bias_ih: reading it alone as the sum of both, as a
    lone bias is read, counted bias_hh twice, and the printed line then failed a right file. The
    same for ``b`` beside ``b_hh``."""
    path = write(tmp_path, """
        import torch
        import torch.nn.functional as F

        def rnn_final_state(x, h0, W_xh, W_hh, b_xh, b_hh):
            h = h0
            for x_t in x.unbind(0):
                h = torch.tanh(F.linear(x_t, W_xh, b_xh) + F.linear(h, W_hh, b_hh))
            return h

        def rnn_plain_b(x, h0, W_ih, W_hh, b, b_hh):
            return rnn_final_state(x, h0, W_ih, W_hh, b, b_hh)
        """)
    with pytest.raises(BindingError) as refused:
        bind(path, "rnn_final_state")
    assert 'b_xh=bias_ih"' in str(refused.value) and "bias_ih+bias_hh" not in str(refused.value)
    for entry in ("rnn_final_state", "rnn_plain_b"):
        result = run_matrix(f"{path}:{entry}", bind="auto", dtypes=("float64",), rows=("forward",))
        assert result.statuses == {"forward": "pass"}, result.verdicts()


def test_a_name_that_says_nothing_gets_the_readings_its_shape_allows_or_a_placeholder_that_never_runs(tmp_path):
    """No guess dressed as a ready line (found on fresh code: a placeholder ``weight_ih`` pasted ran, and
    the crash it caused was blamed on the learner's code). A kept tensor whose name says nothing is
    offered what its shape allows (``[4, 9]``: x and h joined, either order; ``auto`` decides); a
    parameter nothing tells about gets ``?``, which is refused if pasted unchanged."""
    path = write(tmp_path, """
        import torch

        class RNNByHand:
            def __init__(self, input_size, hidden_size):
                self.theta = torch.randn(hidden_size, input_size + hidden_size)
                self.b = torch.zeros(hidden_size)

            def forward(self, x, h):
                out = []
                for x_t in x:
                    h = torch.tanh(torch.cat([x_t, h], -1) @ self.theta.T + self.b)
                    out.append(h)
                return torch.stack(out), h

        def rnn_two_ways(x, h0, fwd, bwd):
            return fwd(x, h0)
        """)
    assert_a_line_per_reading_and_auto_passes(path, "RNNByHand", [
        "theta=cat(weight_hh,weight_ih),b=bias_ih+bias_hh", "theta=cat(weight_ih,weight_hh),b=bias_ih+bias_hh"])
    with pytest.raises(BindingError) as refused:
        bind(path, "rnn_two_ways")
    [line] = ready_lines(str(refused.value))
    assert line == "fwd=?,bwd=?"
    with pytest.raises(BindingError, match="fwd=. is a placeholder the refusal could not fill: replace"):
        bind(path, "rnn_two_ways", declared=line)


def test_cho_style_names_are_read_whole():
    """``W_cat`` is a weight on x and h joined; Cho's GRU biases ``bwr``, ``bur``, ``bw``, ``bu`` are the
    biases of ``W x`` and ``U h``, gate by gate (``bw``, ``bu``: the candidate's, beside ``W``, ``U``)."""
    from pytest_rnnconformance.bind.guess import guess_all

    read = {name: (g.kind, g.gate) for name, g in guess_all(["Wr", "Ur", "bwr", "bur", "W", "U", "bw", "bu"], "gru").items()}
    assert read == {"Wr": ("input_weight", "r"), "Ur": ("hidden_weight", "r"), "bwr": ("input_bias", "r"),
                    "bur": ("hidden_bias", "r"), "W": ("input_weight", "n"), "U": ("hidden_weight", "n"),
                    "bw": ("input_bias", "n"), "bu": ("hidden_bias", "n")}
    assert guess_all(["W_cat", "b"], "lstm")["W_cat"].kind == "joint_weight"
    assert guess_all(["fwd", "bwd"], "lstm") == {"fwd": None, "bwd": None}  # a direction, not a bias of W


def test_a_nonlinearity_parameter_says_rnn_and_an_unsaid_mode_is_asked_with_the_weights(tmp_path):
    """Only torch.nn's RNN takes a nonlinearity: read. Where nothing says the mode, the refusal that
    asks for the weights asks for it too (found on fresh code: it came as a second refusal)."""
    path = write(tmp_path, """
        import torch

        def elman(inputs, h_init, W_in, W_rec, bias, nonlinearity="tanh"):
            act = torch.relu if nonlinearity == "relu" else torch.tanh
            h, outputs = h_init, []
            for x_t in inputs:
                h = act(x_t @ W_in.T + h @ W_rec.T + bias)
                outputs.append(h)
            return torch.stack(outputs), h

        def recurrence(inputs, h_init, W_in, W_rec, bias):
            return elman(inputs, h_init, W_in, W_rec, bias)
        """)
    result = run_matrix(f"{path}:elman", bind="auto", dtypes=("float64",), rows=("forward", "relu"))
    assert result.statuses == {"forward": "pass", "relu": "pass"}, result.verdicts()
    assert "mode rnn: read (it takes a nonlinearity" in result.summary.description
    with pytest.raises(BindingError, match="(?s)--rnn-bind .*add --rnn-mode rnn, lstm, gru"):
        bind(path, "recurrence")


def test_a_parameter_list_of_one_weight_a_gate_is_offered_in_torch_nn_s_gate_order(tmp_path):
    """``W_x.0``, ``W_x.1``, ``W_x.2`` (an ``nn.ParameterList``, a GRU's gates): no name says which gate each
    holds, so it is never matched; the line reads them in torch.nn's order (r, z, n) and ``auto`` proves
    it (found by the generator: a line of placeholders was printed)."""
    path = write(tmp_path, """
        import torch
        import torch.nn as nn

        class ListGRU(nn.Module):
            def __init__(self, input_size, hidden_size):
                super().__init__()
                self.W_x = nn.ParameterList([nn.Parameter(torch.randn(input_size, hidden_size)) for _ in range(3)])
                self.W_h = nn.ParameterList([nn.Parameter(torch.randn(hidden_size, hidden_size)) for _ in range(3)])

            def forward(self, x, h):
                out = []
                for x_t in x:
                    r = torch.sigmoid(x_t @ self.W_x[0] + h @ self.W_h[0])
                    z = torch.sigmoid(x_t @ self.W_x[1] + h @ self.W_h[1])
                    n = torch.tanh(x_t @ self.W_x[2] + r * (h @ self.W_h[2]))
                    h = (1 - z) * n + z * h
                    out.append(h)
                return torch.stack(out), h
        """)
    with pytest.raises(BindingError) as raised:
        bind(path, "ListGRU", mode="gru")
    [line] = ready_lines(str(raised.value))
    assert line == ("W_x.0=weight_ih[r].T,W_x.1=weight_ih[z].T,W_x.2=weight_ih[n].T,"
                    "W_h.0=weight_hh[r].T,W_h.1=weight_hh[z].T,W_h.2=weight_hh[n].T")
    result = run_matrix(f"{path}:ListGRU", mode="gru", bind="auto", dtypes=("float64",), rows=("forward",))
    assert result.statuses == {"forward": "pass"}, result.verdicts()


def test_layers_whose_names_say_nothing_are_read_by_shape_with_each_bias_on_its_layer_s_side(tmp_path):
    """Two ``nn.Linear`` named for nothing torch.nn says (``igates``, ``hgates``, as torch's quantizable LSTM
    names them): each weight is read by its shape, each bias on its own layer's side (not both as the sum,
    counted twice); a lone bias is the sum. ``auto`` proves the reading (found on public code: the sum twice
    failed a right cell; a lone bias crashed ``auto``)."""
    path = write(tmp_path, """
        import torch
        import torch.nn as nn

        class TwoLayers(nn.Module):
            def __init__(self, input_size, hidden_size):
                super().__init__()
                self.igates = nn.Linear(input_size, 4 * hidden_size)
                self.hgates = nn.Linear(hidden_size, 4 * hidden_size)

            def forward(self, x, hx):
                h, c = hx
                i, f, g, o = (self.igates(x) + self.hgates(h)).chunk(4, dim=-1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                return torch.sigmoid(o) * torch.tanh(c), c
        """)
    with pytest.raises(BindingError) as raised:
        bind(path, "TwoLayers", mode="lstm_cell")
    assert '"igates.weight=weight_ih,igates.bias=bias_ih,hgates.weight=weight_hh,hgates.bias=bias_hh"' in str(raised.value)
    one_bias = EXAMPLES.parent / "tests" / "newcomers" / "one_bias_linears.py"  # the same cell, its lone bias
    for target in (f"{path}:TwoLayers", f"{one_bias}:OneBiasLSTMCell"):
        result = run_matrix(target, mode="lstm_cell", bind="auto", dtypes=("float64",), rows=("forward",))
        assert result.statuses == {"forward": "pass"}, result.verdicts()
    assert "hidden_weight.bias=bias_ih+bias_hh" in result.summary.description


def test_a_declaration_shaped_with_sizes_is_checked_at_the_binder_s_sizes(tmp_path):
    """``b=(bias_ih+bias_hh).reshape(H,1)`` for a class's column bias: checking that it fits needs H (its
    evaluation raised out of the binder, an INTERNALERROR on public code, deep-ml's LSTM)."""
    path = write(tmp_path, """
        import numpy as np

        class ColumnRNN:
            def __init__(self, input_size, hidden_size):
                self.W = np.zeros((hidden_size, input_size + hidden_size))
                self.b = np.zeros((hidden_size, 1))

            def forward(self, x, h):
                return x, h
        """)
    [binding] = bind(path, "ColumnRNN", mode="rnn",
                     declared="W=cat(weight_hh,weight_ih),b=(bias_ih+bias_hh).reshape(H,1)")
    assert dict(binding.construction.weights)["b"] is not None
    with pytest.raises(BindingError, match=r"b is \[4, 1\], and cat\(bias_ih,bias_hh\).reshape\(H,2\) is \[4, 2\]"):
        bind(path, "ColumnRNN", mode="rnn", declared="W=cat(weight_hh,weight_ih),b=cat(bias_ih,bias_hh).reshape(H,2)")


# ------------------------------------------------------------------------------------------ modules
def test_a_module_whose_names_cannot_be_matched_is_refused_with_a_line_to_edit(tmp_path):
    path = write(tmp_path, """
        import torch
        import torch.nn as nn

        class WithHead(nn.Module):
            def __init__(self, input_size, hidden_size):
                super().__init__()
                self.W_xh = nn.Parameter(torch.zeros(input_size, hidden_size))
                self.W_hh = nn.Parameter(torch.zeros(hidden_size, hidden_size))
                self.b_h = nn.Parameter(torch.zeros(hidden_size))
                self.head = nn.Linear(hidden_size, 3)

            def forward(self, x, h=None):
                raise AssertionError("never called")
        """)
    with pytest.raises(BindingError) as raised:
        bind(path, "WithHead", mode="rnn")
    message = str(raised.value)
    assert "cannot tell which of torch.nn's weights head.weight [3, 4], head.bias [3] hold" in message
    line = message.split('--rnn-bind "')[1].split('"')[0]
    assert line.startswith("W_xh=weight_ih.T,W_hh=weight_hh.T,b_h=bias_ih+bias_hh,head.weight=?")  # the matches kept
    with pytest.raises(DeclarationError, match="head.weight=. is a placeholder"):  # no shape of torch.nn's fits
        parse_map(line)  # [3, 4]: pasted unchanged, it is refused, never run as a guess


def test_a_module_with_gate_layers_on_x_and_h_joined_is_refused_with_each_reading_and_auto_settles_it():
    """Which of x and h comes first in the concatenation is no name's to say: one line for each order
    (every gate's layer the same way, not 16 mixtures), and ``auto`` lets the probe find the one that
    reproduces torch.nn."""
    path = EXAMPLES.parent / "tests" / "learners" / "lstm_linear_gates_dim.py"
    with pytest.raises(BindingError) as raised:
        bind(path, "LSTMModel")
    message = str(raised.value)
    assert "can read forget_gate.weight [4, 9]" in message and "2 ways" in message
    lines = ready_lines(message)
    assert len(lines) == 2 and lines[0].startswith("forget_gate.weight=cat(weight_hh[f],weight_ih[f]),forget_gate.bias=")
    assert "cell_gate.weight=cat(weight_ih[g],weight_hh[g])" in lines[1]
    with pytest.raises(BindingError, match=r"forget_gate.weight is \[4, 9\], and weight_ih\[f\] is \[4, 5\]"):
        bind(path, "LSTMModel", declared=lines[0].replace("cat(weight_hh[f],weight_ih[f])", "weight_ih[f]"))
    result = run_matrix(f"{path}:LSTMModel", bind="auto", dtypes=("float64",), rows=("forward",))
    assert result.statuses == {"forward": "pass"}, result.verdicts()
    assert "cat(weight_ih[f],weight_hh[f])" in result.summary.description


def test_a_plain_class_weight_on_x_and_h_joined_gets_both_orders_and_auto_settles_it(tmp_path):
    """A class making its own W (4H, I + H) for [x, h] (found on fresh code): one ready line was offered, for
    [h, x], and pasting it failed a right class. Now each order is a line, and ``auto`` picks by experiment."""
    path = write(tmp_path, """
        import torch

        class LSTMCellByHand:
            def __init__(self, input_size, hidden_size):
                self.W = torch.randn(4 * hidden_size, input_size + hidden_size)
                self.b = torch.zeros(4 * hidden_size)

            def __call__(self, x, state):
                h, c = state
                i, f, g, o = (torch.cat([x, h], dim=-1) @ self.W.T + self.b).chunk(4, dim=-1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                return torch.sigmoid(o) * torch.tanh(c), c
        """)
    lines = assert_a_line_per_reading_and_auto_passes(path, "LSTMCellByHand", [
        "W=cat(weight_hh,weight_ih),b=bias_ih+bias_hh", "W=cat(weight_ih,weight_hh),b=bias_ih+bias_hh"])
    wrong_order = run_matrix(f"{path}:LSTMCellByHand", bind=lines[0], dtypes=("float64",), rows=("forward",))
    assert wrong_order.statuses == {"forward": "fail"}, wrong_order.verdicts()  # each line is what it says
    with pytest.raises(BindingError, match=r"W is \[16, 9\], and weight_ih is \[16, 5\].*cannot fill it"):
        bind(path, "LSTMCellByHand", declared="W=weight_ih,b=bias_ih+bias_hh")  # a usage error, not a crash later


def test_a_square_hidden_weight_is_stored_like_the_others():
    """d2l's W_hh is (in, out) like its W_xh: shapes alone cannot tell for a square one."""
    path = EXAMPLES.parent / "tests" / "learners" / "d2l_rnn_module_state_not_carried.py"
    note = bind(path, "RNNScratch")[0].describe()
    assert "W_hh=weight_hh.T (name W_hh: hidden weight; stored (in, out) like the others)" in note


def test_a_module_wrapping_torch_gets_its_mode_and_settings_from_the_wrapped_module():
    path = EXAMPLES.parent / "tests" / "learners" / "wrap_nn_lstm.py"
    binding = bind(path, "SequenceEncoder")[0]
    assert binding.modes == ("lstm",)
    assert binding.support.layouts == frozenset({True})
    assert "weights by torch.nn's names under 'lstm.'" in binding.describe()


# ------------------------------------------------------------------------------------------ declared and guessed
def test_the_language_reads_true_false_and_none():
    mapping = parse_map("flag=True,other=False,nothing=None,W=cat(weight_hh[f],weight_ih[f]).T")
    assert {k: str(v) for k, v in mapping.items()} == {
        "flag": "True", "other": "False", "nothing": "None", "W": "cat(weight_hh[f],weight_ih[f]).T"}
    with pytest.raises(DeclarationError, match="unknown name 'true'"):
        parse_map("flag=true")


def test_a_declared_setting_literal_reaches_the_function(tmp_path):
    path = write(tmp_path, """
        import torch

        def rnn(x, h, Wx, Wh, b, time_major):
            assert time_major is True
            out = []
            for step in x:
                h = torch.tanh(step @ Wx + h @ Wh + b)
                out.append(h)
            return torch.stack(out), h
        """)
    result = run_matrix(f"{path}:rnn", bind="Wx=weight_ih.T,Wh=weight_hh.T,b=bias_ih+bias_hh,time_major=True",
                        dtypes=("float64",), rows=("forward",))
    assert result.statuses == {"forward": "pass"}, result.verdicts()


def test_without_auto_the_guess_is_printed_as_a_ready_line(tmp_path):
    path = write(tmp_path, "import numpy as np\n\ndef rnn_forward(x, h0, Wx, Wh, bx, bh):" + RNN_BODY.replace(
        "+ b)", "+ bx + bh)"))
    with pytest.raises(BindingError) as raised:
        bind(path, "rnn_forward")
    lines = [line.split('"')[1] for line in str(raised.value).splitlines()[1:]]
    assert lines == ["Wx=weight_ih.T,Wh=weight_hh.T,bx=bias_ih,bh=bias_hh", "Wx=weight_ih,Wh=weight_hh,bx=bias_ih,bh=bias_hh"]
    assert all(parse_map(line) for line in lines)  # each candidate's line parses as printed


def test_auto_combines_with_declared_items():
    path = EXAMPLES.parent / "tests" / "learners" / "d2l_lstm_module.py"  # a module: its own names need no auto
    binding = bind(path, "LSTMScratch", declared="H_C=hx")[0]
    assert binding.support.state_given
    path = AS_WRITTEN / "per_gate.py"
    found = bind(path, "lstm_forward", declared="auto,h0=h0")
    assert all("W_xf=weight_ih[f]" in b.describe() for b in found)


SWAPPED = """
    import torch

    def lstm_forward(X, h0, c0, W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c):
        H, C = h0, c0
        outputs = []
        for x in X:
            I = torch.sigmoid(x @ W_xf + H @ W_hf + b_f)   # the forget gate's weights for the input gate
            F = torch.sigmoid(x @ W_xi + H @ W_hi + b_i)   # and the other way round
            O = torch.sigmoid(x @ W_xo + H @ W_ho + b_o)
            C = F * C + I * torch.tanh(x @ W_xc + H @ W_hc + b_c)
            H = O * torch.tanh(C)
            outputs.append(H)
        return torch.stack(outputs), (H, C)
    """


def test_a_guess_never_reorders_gates_against_the_names(tmp_path):
    """Every weight named for its gate, used for another gate: auto maps each name to its own gate,
    so the mistake stays a mistake (gate_order), whatever order would have fit."""
    result = run_matrix(f"{write(tmp_path, SWAPPED)}:lstm_forward", bind="auto", dtypes=("float64",),
                        rows=("forward",))
    assert result.statuses == {"forward": "fail"}, result.verdicts()
    assert result.failures["forward"].diagnosis[:1] == ["gate_order"]
    assert "W_xi=weight_ih[i]" in result.summary.description


def test_w_hr_in_a_gru_is_the_reset_gates_weight_not_a_projection():
    path = EXAMPLES.parent / "tests" / "learners" / "torch_gru_cell_per_gate.py"
    found = bind(path, "gru_cell", declared="auto")
    assert found[0].modes == ("gru_cell",)
    assert all("W_hr=weight_hh[r]" in b.describe() for b in found)


def test_coursera_names_are_understood(tmp_path):
    path = write(tmp_path, "import numpy as np\n\ndef rnn_forward(x, a0, Wax, Waa, ba):" + RNN_BODY.replace(
        "h0", "a0").replace("@ Wx", "@ Wax.T").replace("@ Wh", "@ Waa.T").replace("+ b)", "+ ba)"))
    result = run_matrix(f"{path}:rnn_forward", bind="auto", dtypes=("float64",), rows=("forward",))
    assert result.statuses == {"forward": "pass"}, result.verdicts()
    assert "Wax=weight_ih,Waa=weight_hh,ba=bias_ih+bias_hh" in result.summary.description


# ------------------------------------------------------------------------------------------ cells
CELLS = {
    "nn.LSTMCell": ("lstm_cell", """
        import torch

        def lstm_cell(x, hx, w_ih, w_hh, b_ih, b_hh):
            cell = torch.nn.LSTMCell(w_ih.shape[1], w_hh.shape[1]).to(x.dtype)
            with torch.no_grad():
                for name, value in (("weight_ih", w_ih), ("weight_hh", w_hh), ("bias_ih", b_ih), ("bias_hh", b_hh)):
                    getattr(cell, name).copy_(value)
            return cell(x, hx)
        """),
    "torch._VF.gru_cell": ("gru_cell", """
        import torch

        def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
            return torch._VF.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)
        """),
    "torch.rnn_tanh_cell": ("rnn_cell", """
        import torch

        def rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh):
            return torch.rnn_tanh_cell(x, h, w_ih, w_hh, b_ih, b_hh)
        """),
}


@pytest.mark.parametrize("how", sorted(CELLS))
def test_calling_torchs_own_cell_is_delegation(tmp_path, how):
    entry, source = CELLS[how]
    result = run_matrix(f"{write(tmp_path, source)}:{entry}", dtypes=("float64",), rows=("forward", "no_delegation"))
    assert result.summary.modes == (entry,)
    assert result.statuses == {"forward": "pass", "no_delegation": "fail"}, result.verdicts()
    assert result.failures["no_delegation"].kind == "delegation"


def test_a_gru_cell_with_the_reset_gate_before_the_product_is_named(tmp_path):
    path = write(tmp_path, """
        import torch

        def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
            H = h.shape[-1]
            x_r, x_z, x_n = (x @ w_ih.T + b_ih).chunk(3, -1)
            h_r, h_z, _ = (h @ w_hh.T + b_hh).chunk(3, -1)
            r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
            return (1 - z) * n + z * h
        """)
    result = run_matrix(f"{path}:gru_cell", dtypes=("float64",), rows=("forward",))
    assert result.failures["forward"].diagnosis[:1] == ["gru_reset_before_matmul"], result.verdicts()


# ------------------------------------------------------------------------------------------ anything returned
RETURNED = {
    "None": ("return None", "returned None; expected a tuple (output, h_n)"),
    "a dict": ("return {'output': out, 'h_n': h}", "returned a dict; expected a tuple (output, h_n)"),
    "a generator": ("return (t for t in (out, h))", "returned a generator"),
    "a meta tensor": ("return out.to('meta'), h", "returned a meta tensor (it has a shape but no values) for output"),
    "a sparse tensor": ("return out.to_sparse(), h", "layout torch.sparse_coo (expected a dense tensor)"),
    "strings": ("return np.array(['a']), h", "returned a numpy array of <U1 for output"),
    "a number": ("return 3.0", "returned a float; expected a tuple (output, h_n)"),
}
RETURNING = """
    import numpy as np
    import torch

    class Liar(torch.Tensor):
        def __sub__(self, other):
            return torch.zeros_like(torch.Tensor(self))

    def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
        h, steps = h0, []
        for step in x:
            h = torch.tanh(step @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
            steps.append(h)
        out = torch.stack(steps)
        {returned}
    """


@pytest.mark.parametrize("what", sorted(RETURNED))
def test_anything_returned_gets_one_line_in_its_row(tmp_path, what):
    returned, said = RETURNED[what]
    path = write(tmp_path, RETURNING.replace("{returned}", returned))
    result = run_matrix(f"{path}:rnn_forward", dtypes=("float64",), rows=("forward",))
    failure = result.failures["forward"]
    assert result.statuses["forward"] == "error" and said in failure.summary, result.verdicts()
    assert "\n" not in failure.summary


@pytest.mark.parametrize("returned", ["return out.as_subclass(Liar), h.as_subclass(Liar)",
                                      "return out.numpy(), h.numpy()", "return [out, h]",
                                      "return out.t().contiguous().t(), h"])
def test_right_values_in_any_container_or_subclass_pass(tmp_path, returned):
    """A tensor subclass is judged as a plain tensor (its overrides take no part); arrays, lists and
    strided tensors are read as what they hold."""
    path = write(tmp_path, RETURNING.replace("{returned}", returned))
    result = run_matrix(f"{path}:rnn_forward", dtypes=("float64",), rows=("forward",))
    assert result.statuses == {"forward": "pass"}, result.verdicts()


def test_a_wrong_subclass_cannot_hide_behind_its_overrides(tmp_path):
    path = write(tmp_path, RETURNING.replace("{returned}", "return (out * 2).as_subclass(Liar), h.as_subclass(Liar)"))
    result = run_matrix(f"{path}:rnn_forward", dtypes=("float64",), rows=("forward",))
    assert result.statuses == {"forward": "fail"}, result.verdicts()


def test_an_unusable_result_is_a_row_verdict_not_an_internal_error(tmp_path, run_suite):
    path = write(tmp_path, RETURNING.replace("{returned}", "return None"))
    run = run_suite(f"{path}:rnn_forward", "--rnn-dtype", "float64", "--rnn-max-examples", "3",
                    "--rnn-rows", "forward,shape")
    assert run.result.ret == 1
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output
    assert run.status("forward") == "error"
    assert "returned None" in run.report["features"]["forward"]["message"]
