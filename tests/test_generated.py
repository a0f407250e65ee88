"""The plugin on implementations nobody wrote by hand: the generator's property (issue 20, item 7).

`tests/generated/` writes RNN implementations the ways people write them (a function, numpy, a plain
class, an ``nn.Module``, a class's method, one cell; names from d2l, CS231n, Keras, Cho et al., torch's
docs; either layout; states with or without the layer dimension; weights transposed, per gate, on
``[h, x]`` or as a list; one, two or no biases; caches, lists of steps, outputs or h_n alone;
refusals; a first call that draws from the global generator, builds a table or sleeps), each correct
or with one catalogue mistake, and proves the label against torch.nn without the plugin. The
property, on a fixed sample of 60 (drawn in four disjoint parts, so that xdist can spread them):

(a) a correct one passes, as written or after the refusal's ready line (or, where that line is
    wrong, the declaration the generator knows; the outcome says which);
(b) a mistaken one fails the row that owns its mistake;
(c) never every row passing on a mistake; (d) never an exception escaping the plugin.

Rows run in-process (`matrix.run_matrix`): a correct design's every row with one example (fewer
examples can hide a false failure, never make one), a mistaken design's owning row and ``forward``
with the plugin's default of 8, as a user runs it (the whole matrix where the owner does not fail). A
few designs also run as real pytest runs, for the exit codes. The sample is fixed (derandomized);
`bench/generated.py` runs a thousand, and its shares are in `bench/BENCHMARKS.md`. About 21 s of CPU
for the 60 on this machine's one core each (`time`, user), a minute or more of wall time under load.
"""
from __future__ import annotations

import itertools
import warnings
import zlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings

from generated.design import Design, designs
from generated.found import FOUND
from generated.outcome import outcome_of
from generated.truth import Unproven, prove
from generated.writer import write

SAMPLE = settings(max_examples=60, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
LABELS = settings(SAMPLE, max_examples=100)
_NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("generated")


def _saved(design: Design, folder) -> tuple:
    written = write(design)
    return written, written.save(folder, f"generated_{next(_NUMBERS)}")


@LABELS
@given(design=designs())
def test_every_generated_label_is_proven_against_torch_nn(design, folder):
    """The generator's own ground truth: a correct design matches torch.nn everywhere it claims, a
    mistaken one differs exactly where its owning row looks (otherwise the sample would prove nothing)."""
    written, target = _saved(design, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prove(written, target)


def _check(design: Design, folder) -> None:
    written, target = _saved(design, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prove(written, target)
        outcome = outcome_of(written, target, max_examples=1, reduced=True)
    assert outcome.satisfied, (f"{outcome.category} on {design.describe()}\n{target}\n"
                               f"declared: {' '.join(written.declaration())}\n{outcome.refusal}\n{outcome.detail}")


#: The sample is drawn in this many parts, each a test of its own, so that pytest-xdist can spread it.
PARTS = 4


def part_of(design: Design) -> int:
    """Which part of the sample a design belongs to: a stable hash of every choice it makes."""
    return zlib.crc32(f"{design.describe()} {sorted(design.names.items())}".encode()) % PARTS


@pytest.mark.parametrize("part", range(PARTS))
@settings(SAMPLE, max_examples=SAMPLE.max_examples // PARTS)
@given(design=designs())
def test_the_plugin_gives_every_generated_implementation_its_true_verdict(part, design, folder):
    assume(part_of(design) == part)  # the parts are disjoint: together, a sample of SAMPLE.max_examples
    _check(design, folder)


@pytest.mark.parametrize("name", sorted(FOUND))
def test_what_the_bench_found_gets_its_true_verdict(name, folder):
    """Each kind of wrong verdict `bench/generated.py` found, kept (`generated/found.py`)."""
    _check(FOUND[name], folder)


PLAIN = Design("rnn", "function", "torch", "seq", True, "torch", True, "two", "", False, "torch", "none", "none", "",
               {"input": "input", "h0": "hx", "c0": "c0", "state": "hx", "input_size": "input_size",
                "hidden_size": "hidden_size", "entry": "rnn_forward", "method": "forward", "ih": "weight_ih",
                "hh": "weight_hh", "bias": "b", "bias_ih": "bias_ih", "bias_hh": "bias_hh"})


@pytest.mark.parametrize("design, exit_code", [
    (PLAIN, 0),
    (replace(PLAIN, mistake="state_not_carried"), 1),
    (replace(PLAIN, storage="transposed", out_in=False, names={**PLAIN.names, "ih": "Wx", "hh": "Wh"},
             returns="cache"), 0),
], ids=["correct", "mistaken", "own names"])
def test_generated_files_get_their_exit_code_from_a_real_run(design, exit_code, folder, run_suite):
    """As a user runs it: as written, and with the true declaration where it is refused (exit 4)."""
    written, target = _saved(design, folder)
    prove(written, target)
    run = run_suite(target, "--rnn-max-examples", "2", "-q")
    if run.result.ret == 4:
        assert "--rnn-bind" in run.output, run.output
        run = run_suite(target, "--rnn-max-examples", "2", "-q", *written.declaration())
    assert run.result.ret == exit_code, run.output
    assert "INTERNALERROR" not in run.output
    if design.mistake:
        assert run.status("forward") == "fail", run.output


@pytest.mark.parametrize("mistaken", [
    replace(PLAIN, mistake="state_not_carried"),
    replace(PLAIN, layout="param", mistake="batch_mixing"),
    replace(PLAIN, layout="batch", mistake="hn_batch_first"),
    replace(PLAIN, mistake="default_dtype_buffer"),
    replace(PLAIN, mistake="low_precision"),
    replace(PLAIN, mistake="unstable_activation"),
], ids=lambda design: design.mistake)
def test_the_proof_refuses_a_label_that_does_not_hold(mistaken, folder):
    """The ground truth can fail, both ways, for each owning row: a mistaken file labelled correct,
    and a correct file labelled with the mistake."""
    correct = replace(mistaken, mistake="")
    for label, source in ((correct, mistaken), (mistaken, correct)):
        lying = replace(write(label), source=write(source).source)
        with pytest.raises(Unproven):
            prove(lying, lying.save(folder, f"lying_{next(_NUMBERS)}"))
    for honest in (correct, mistaken):
        prove(*_saved(honest, folder))
