"""`RNNSpec` knows torch.nn's rules: what it rejects, what it names its weights, what shapes it uses.

A spec is the suite's only description of a configuration, so every rule in it is checked against
torch.nn itself (not against a copy of the rules): the same arguments go to `RNNSpec` and to
``torch.nn.RNN/LSTM/GRU``, and the two must agree on the exception type and its message, on
warnings, on parameter names and shapes, and on the shapes of every tensor a forward call takes
and returns.
"""
from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_rnnconformance.spec import RNNSpec
from pytest_rnnconformance.strategies import specs

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
SIZES = dict(input_size=3, hidden_size=4)


def construct(factory, **kwargs):
    """Call `factory` and return (result or exception, messages of the warnings it gave)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = factory(**kwargs)
        except Exception as error:  # noqa: BLE001 - the exception is what is compared
            result = error
    return result, [(w.category, str(w.message)) for w in caught]


# mode, arguments (beyond input_size=3, hidden_size=4); each is rejected by torch.nn.
REJECTED = [
    pytest.param("rnn", dict(proj_size=2), id="proj_size-on-rnn"),
    pytest.param("gru", dict(proj_size=1), id="proj_size-on-gru"),
    pytest.param("rnn", dict(nonlinearity="sigmoid"), id="bad-nonlinearity"),
    pytest.param("rnn", dict(nonlinearity="relu", proj_size=1), id="proj_size-checked-before-nonlinearity"),
    pytest.param("rnn", dict(nonlinearity="bad", dropout=2), id="nonlinearity-checked-before-dropout"),
    pytest.param("lstm", dict(proj_size=4), id="proj_size-equal-hidden"),
    pytest.param("lstm", dict(proj_size=5), id="proj_size-above-hidden"),
    pytest.param("lstm", dict(proj_size=-1), id="proj_size-negative"),
    pytest.param("lstm", dict(proj_size="2"), id="proj_size-str"),
    pytest.param("lstm", dict(input_size=0), id="input_size-zero"),
    pytest.param("gru", dict(hidden_size=-1), id="hidden_size-negative"),
    pytest.param("rnn", dict(num_layers=0), id="num_layers-zero"),
    pytest.param("lstm", dict(input_size=3.0), id="input_size-float"),
    pytest.param("gru", dict(hidden_size=4.0), id="hidden_size-float"),
    pytest.param("lstm", dict(input_size=None), id="input_size-none"),
    pytest.param("lstm", dict(num_layers=1.5), id="num_layers-fraction"),
    pytest.param("gru", dict(num_layers=2.0), id="num_layers-float"),
    pytest.param("rnn", dict(num_layers="2"), id="num_layers-str"),
    pytest.param("gru", dict(bias=1), id="bias-int"),
    pytest.param("lstm", dict(bias=None), id="bias-none"),
    pytest.param("rnn", dict(batch_first=1), id="batch_first-int"),
    pytest.param("rnn", dict(dropout=1.5), id="dropout-above-1"),
    pytest.param("gru", dict(dropout=-0.1), id="dropout-negative"),
    pytest.param("lstm", dict(dropout=True, num_layers=2), id="dropout-bool"),
    pytest.param("lstm", dict(dropout="0.5", num_layers=2), id="dropout-numeric-str"),
    pytest.param("rnn", dict(dropout=float("nan"), num_layers=2), id="dropout-nan"),
    pytest.param("lstm", dict(dropout=0.5, bias=1), id="warns-then-rejects-bias"),
    pytest.param("lstm", dict(bias=1, input_size=0), id="bias-checked-before-sizes"),
    pytest.param("lstm", dict(hidden_size=0, proj_size=-1), id="hidden_size-checked-before-proj"),
    pytest.param("gru", dict(hidden_size=0, num_layers=1.5), id="sizes-checked-before-layer-type"),
    pytest.param("lstm", dict(proj_size=2.0), id="proj_size-float"),
    pytest.param("rnn", dict(dropout="abc", num_layers=2), id="dropout-non-numeric-str"),
    pytest.param("gru", dict(dropout=None, num_layers=2), id="dropout-none"),
    pytest.param("lstm", dict(nonlinearity="relu"), id="nonlinearity-on-lstm"),
]


@pytest.mark.parametrize("mode, arguments", REJECTED)
def test_spec_rejects_what_torch_rejects_with_the_same_error(mode, arguments):
    """Same exception type, same message, same warnings before it: a spec exists iff torch.nn accepts it."""
    kwargs = {**SIZES, **arguments}
    with pytest.raises(Exception) as torch_error:
        with warnings.catch_warnings(record=True) as torch_warnings:
            warnings.simplefilter("always")
            TORCH[mode](**kwargs)
    with pytest.raises(Exception) as spec_error:
        with warnings.catch_warnings(record=True) as spec_warnings:
            warnings.simplefilter("always")
            RNNSpec(mode, **kwargs)
    assert type(spec_error.value) is type(torch_error.value)
    assert str(spec_error.value) == str(torch_error.value)
    assert [str(w.message) for w in spec_warnings] == [str(w.message) for w in torch_warnings]


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dropout", [0.5, 1, 1.0])
def test_dropout_with_one_layer_warns_like_torch(mode, dropout):
    """Dropout with one layer is accepted with torch.nn's UserWarning, word for word (value formatting included)."""
    torch_result, torch_warnings = construct(TORCH[mode], **SIZES, dropout=dropout)
    spec_result, spec_warnings = construct(RNNSpec, mode=mode, **SIZES, dropout=dropout)
    assert isinstance(torch_result, torch.nn.Module) and isinstance(spec_result, RNNSpec)
    assert spec_warnings == torch_warnings
    assert [category for category, _ in spec_warnings] == [UserWarning]


def test_unknown_mode_is_rejected():
    """A mode torch.nn has no module for is a ValueError naming the modes."""
    with pytest.raises(ValueError, match="'transformer'.*rnn, lstm, gru"):
        RNNSpec("transformer", 3, 4)


ACCEPTED = [
    ("rnn", dict(nonlinearity="relu")),
    ("rnn", dict(num_layers=3, dropout=1.0, bidirectional=True, batch_first=True)),
    ("rnn", dict(bidirectional=1)),  # torch.nn does not type-check bidirectional
    ("rnn", dict(input_size=True)),  # nor refuse a bool size (bool is an int)
    ("lstm", dict(proj_size=3, num_layers=2, dropout=0)),
    ("lstm", dict(hidden_size=2, proj_size=1, bias=False)),
    ("gru", dict(num_layers=2, dropout=0.25)),
]


@pytest.mark.parametrize("mode, arguments", ACCEPTED)
def test_valid_arguments_are_accepted_by_both_and_round_trip(mode, arguments):
    """What torch.nn accepts silently the spec accepts silently, and `from_module` gives the spec back."""
    kwargs = {**SIZES, **arguments}
    module, torch_warnings = construct(TORCH[mode], **kwargs)
    spec, spec_warnings = construct(RNNSpec, mode=mode, **kwargs)
    assert isinstance(module, torch.nn.Module) and isinstance(spec, RNNSpec)
    assert torch_warnings == spec_warnings == []
    assert RNNSpec.from_module(module) == spec
    assert [n for n, _ in spec.build_module().named_parameters()] == spec.param_names()


# ---------------------------------------------------------------------------------- names and shapes
@settings(max_examples=60, deadline=None)
@given(spec=specs(max_input_size=5, max_hidden_size=5))
def test_param_names_and_shapes_are_torch_s(spec):
    """`param_names()` is torch's registration order and `param_shapes()` torch's shapes, for every spec."""
    module = spec.build_module()
    assert spec.param_names() == [name for name, _ in module.named_parameters()]
    assert spec.param_shapes() == {name: tuple(p.shape) for name, p in module.named_parameters()}
    assert list(spec.param_shapes()) == spec.param_names()
    assert spec.torch_kwargs() == {key: getattr(module, key) for key in spec.torch_kwargs()}


@settings(max_examples=60, deadline=None)
@given(spec=specs(max_input_size=5, max_hidden_size=5),
       time=st.integers(1, 4), batch=st.one_of(st.none(), st.integers(1, 3)))
def test_tensor_shapes_are_what_torch_takes_and_returns(spec, time, batch):
    """torch.nn accepts tensors of `input_shape`/`state_shapes` and returns `output_shape`/`state_shapes`.

    Sizes are distinct enough (and batch None means unbatched 2-D input) that swapping time and
    batch, or making states batch-first, shows up as a shape error or a shape mismatch.
    """
    module = spec.build_module().eval()
    x = torch.randn(spec.input_shape(time, batch))
    states = tuple(torch.randn(shape) for shape in spec.state_shapes(batch))
    assert len(states) == spec.num_states
    hx = states if spec.mode == "lstm" else states[0]
    with torch.no_grad():
        output, hidden = module(x, hx)
    returned = hidden if spec.mode == "lstm" else (hidden,)
    assert tuple(output.shape) == spec.output_shape(time, batch)
    assert tuple(tuple(s.shape) for s in returned) == spec.state_shapes(batch)


@pytest.mark.parametrize("batch_first", [False, True])
def test_shapes_put_batch_where_torch_does(batch_first):
    """A concrete case with every size different: which dimension is time, batch, features, layers."""
    spec = RNNSpec("lstm", 3, 5, num_layers=2, batch_first=batch_first, bidirectional=True, proj_size=2)
    assert spec.input_shape(7, 4) == ((4, 7, 3) if batch_first else (7, 4, 3))
    assert spec.output_shape(7, 4) == ((4, 7, 4) if batch_first else (7, 4, 4))
    assert spec.state_shapes(4) == ((4, 4, 2), (4, 4, 5))  # never batch-first: (layers*dirs, batch, ·)
    assert spec.input_shape(7, None) == (7, 3)
    assert spec.output_shape(7, None) == (7, 4)
    assert spec.state_shapes(None) == ((4, 2), (4, 5))


def test_replace_validates_again():
    """`replace` goes through the same validation: a spec can never be made invalid after the fact."""
    spec = RNNSpec("gru", 3, 4)
    assert spec.replace(num_layers=2).num_layers == 2
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        spec.replace(proj_size=1)
