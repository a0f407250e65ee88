"""Whatever an implementation returns, reading it ends in named tensors or in one `Unreadable` line.

`run.results.plain` and `run.results.read` are the only code that touches a returned structure before
the judge does; a crash there is pytest's INTERNALERROR or a raw traceback in a row. Hypothesis draws
structures people return by mistake (a list of T-1 or T+1 steps, a dict, None inside a tuple, wrong
nesting, numpy scalars, generators, tensors of the wrong rank or size, strings, a PackedSequence
holding the wrong data) around the right result, for every mode and for every ``--rnn-returns`` form,
and holds `read` to: tensors it can judge, or `Unreadable` with one line. The judge then runs on what
was read, as a row would. End to end, such implementations fail their run (exit 1) with the report
written and no INTERNALERROR.
"""
from __future__ import annotations

import numpy
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence

from pytest_rnnconformance.bind.expressions import parse_returns
from pytest_rnnconformance.draw.inputs import make_inputs
from pytest_rnnconformance.judge.failure import OutOfRange
from pytest_rnnconformance.judge.judge import judge
from pytest_rnnconformance.reference.packed import pack_like, unpack
from pytest_rnnconformance.run.results import Unreadable, expected_shapes, plain, read
from pytest_rnnconformance.spec import RNNSpec

#: Every --rnn-returns form the README shows, and forms that do not fit the result at all.
RETURNS = (None, "output,h_n", "output,(h_n,c_n)", "output,_", "h_n", "output", "output_cat,(h_n,)", "_,h_n",
           "output,h_n,c_n", "(output,h_n),_", "output,(h_n,)", "h_1", "h_1,c_1", "(h_1,c_1),_",
           "output.permute(1,0,2),h_n", "output,h_n.reshape(H,1)", "h_1.T", "output,cache", "output_list,h_n")
MODES = ("rnn", "lstm", "gru", "rnn_cell", "lstm_cell", "gru_cell")


@st.composite
def cases(draw):
    """(inputs, torch.nn's own result as a tuple, per_layer, returns) for a drawn configuration."""
    mode = draw(st.sampled_from(MODES))
    single = mode.endswith("_cell")
    spec = RNNSpec(mode, input_size=draw(st.integers(1, 3)), hidden_size=draw(st.integers(1, 3)),
                   num_layers=1 if single else draw(st.integers(1, 2)),
                   batch_first=False if single else draw(st.booleans()),
                   bidirectional=False if single else draw(st.booleans()))
    batch = draw(st.sampled_from((None, 1, 2, 3)))
    packed = not single and batch is not None and draw(st.booleans())
    time = 1 if single else draw(st.integers(1, 4))
    lengths = tuple(sorted([time] + draw(st.lists(st.integers(1, time), min_size=batch - 1, max_size=batch - 1)),
                           reverse=True)) if packed else None  # the longest is the padded time, as torch.nn pads
    inputs = make_inputs(spec, time=time, batch=batch, lengths=lengths, seed=draw(st.integers(0, 3)))
    shapes = expected_shapes(inputs)
    right = tuple(torch.randn(shapes[name], dtype=inputs.dtype) for name in spec.result_names)
    if packed:  # the output packed as the input was
        right = (pack_like(right[0], inputs.input),) + right[1:]
    returns = draw(st.sampled_from(RETURNS))
    return inputs, right, draw(st.booleans()), parse_returns(returns) if returns else None


def _holding_itself() -> list:
    loop: list = []
    loop.append(loop)
    return loop


def leaves(right: tuple):
    """Single values: the right tensors and their neighbours, and things that are not tensors."""
    def steps(tensor, change):
        count = max(tensor.shape[0] + change, 0) if tensor.dim() else 1
        return [tensor[0] if tensor.dim() else tensor] * count

    rights = st.sampled_from([unpack(t)[0] if isinstance(t, PackedSequence) else t for t in right])
    return st.one_of(
        rights,
        rights.map(lambda t: t.unsqueeze(0)),
        rights.map(lambda t: t.reshape(-1)),
        rights.map(lambda t: t.flatten()[:-1] if t.numel() else t),
        rights.map(lambda t: torch.cat([t.reshape(-1), t.reshape(-1)])),
        rights.map(lambda t: list(t) if t.dim() else [t]),  # one tensor per step
        st.tuples(rights, st.sampled_from((-1, 1))).map(lambda p: steps(*p)),  # T-1 or T+1 steps
        rights.map(lambda t: [list(row) for row in t] if t.dim() > 1 else [t]),  # nested lists of tensors
        rights.map(lambda t: t.numpy()),
        rights.map(lambda t: t.to(torch.int64)),
        rights.map(lambda t: t.to(torch.complex64)),
        rights.map(lambda t: t > 0),
        rights.map(lambda t: t.to("meta")),
        rights.map(lambda t: t.to_sparse() if t.dim() else t),
        rights.map(lambda t: t[..., None, :] if t.dim() else t),
        rights.map(lambda t: PackedSequence(t.reshape(-1, 1), torch.tensor([1] * t.numel()))),
        rights.map(lambda t: PackedSequence(t, torch.tensor([t.shape[0] + 3]))),
        rights.map(lambda t: (x for x in t) if t.dim() else iter([t])),  # a generator
        rights.map(lambda t: {"output": t}),
        st.builds(torch.zeros, st.lists(st.integers(0, 4), max_size=4).map(tuple)),
        st.just(torch.tensor(1.5)),
        st.none(), st.integers(), st.floats(), st.text(max_size=5), st.just(b"bytes"),
        st.just(numpy.float64(0.5)), st.just(numpy.int32(3)), st.just(numpy.array(["a", "b"])),
        st.just(numpy.array([object()], dtype=object)), st.just(numpy.arange(3.0).astype(">f8")),
        st.just(object()), st.just({}), st.just(set()), st.builds(_holding_itself),
    )


def structures(right: tuple):
    """The right result, and structures of any nesting made of `leaves`."""
    shaped = right[0] if len(right) == 1 else (right[0], right[1:] if len(right) > 2 else right[1])
    return st.one_of(st.just(shaped), st.just(right), st.recursive(
        st.one_of(leaves(right), st.sampled_from(right)), lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                                               st.dictionaries(st.sampled_from(("output", "h_n", "h")), inner)),
        max_leaves=6))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_any_returned_structure_is_read_or_refused_in_one_line(data):
    inputs, right, per_layer, returns = data.draw(cases())
    returned = data.draw(structures(right))
    try:
        found = plain(returned)
        result = read(found.value, inputs, per_layer=per_layer, returns=returns, found=found)
    except Unreadable as unreadable:
        message = str(unreadable)
        assert message and "\n" not in message, repr(message)
        return
    assert result.tensors, "read returned no tensor and no Unreadable: nothing would be judged"
    shapes = expected_shapes(inputs)
    for name, tensor in result.tensors.items():
        assert isinstance(tensor, torch.Tensor) and name in shapes
        assert tuple(tensor.shape) == tuple(shapes[name]) or name in result.misshapen
    try:
        judge(inputs, result)  # as every row judges what was read: a verdict, never a crash
    except OutOfRange:
        pass


@pytest.mark.parametrize("returns", [None, "output,h_n"])
def test_a_list_of_one_step_too_many_is_unreadable(returns):
    """The crash the issue names: ``shape '[3, -1]' is invalid`` for a list of T+1 steps."""
    inputs = make_inputs(RNNSpec("rnn", 2, 4), time=3, batch=None, seed=0)
    steps = [torch.zeros(4)] * 4
    found = plain((steps, torch.zeros(1, 4)))
    with pytest.raises(Unreadable, match="4 steps"):
        read(found.value, inputs, per_layer=False, returns=parse_returns(returns) if returns else None, found=found)


def test_a_declaration_naming_no_result_is_unreadable():
    """``--rnn-returns "_,_"`` would leave nothing to judge: a pass on nothing is refused."""
    inputs = make_inputs(RNNSpec("gru", 2, 3), time=2, batch=2, seed=0)
    found = plain((torch.zeros(2, 2, 3), torch.zeros(1, 2, 3)))
    with pytest.raises(Unreadable, match="no result"):
        read(found.value, inputs, per_layer=False, returns=parse_returns("_,_"), found=found)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_torch_nns_own_result_reads_as_itself(data):
    """The fuzzing above must not make reading strict: torch.nn's result, and its output as a list of
    steps, read back as the same tensors with no mismatch."""
    inputs, right, _, _ = data.draw(cases())
    spec = inputs.spec
    shaped = right[0] if len(right) == 1 else (right[0], right[1:] if len(right) > 2 else right[1])
    result = read(plain(shaped).value, inputs, per_layer=False)
    assert not result.shape_mismatches and not result.misshapen
    padded = [unpack(t)[0] if isinstance(t, PackedSequence) else t for t in right]
    assert all(torch.equal(result.tensors[name], tensor) for name, tensor in zip(spec.result_names, padded))
    if not spec.single_step and inputs.recipe.lengths is None:
        time_dim = 1 if spec.batch_first and inputs.recipe.batch is not None else 0
        steps = list(padded[0].unbind(time_dim))
        stepped = read(plain((steps, *shaped[1:])).value, inputs, per_layer=False)
        assert torch.equal(stepped.tensors["output"], padded[0])
