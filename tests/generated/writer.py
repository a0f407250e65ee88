"""Writing a `Design` as Python source, with what it takes and the lines a user would declare.

`write(design)` returns a `Written`: the file's text (torch or numpy, a function, a class, an
``nn.Module``, a method or one cell), where to point ``--rnn-impl``, every parameter's `Slot` (what
it holds in torch.nn's terms) and the declaration that says all of it (``--rnn-bind``,
``--rnn-returns``, ``--rnn-mode``). A mistake is one line written differently (`mistakes.py` says
which row owns it); everything else is the same text, so a correct and a mistaken design differ only
there.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .design import TORCH_GATES, Design
from .slots import Bias, Joined, Listed, Named, Sum, Weight, render

#: The few operations that differ between torch and numpy, as format strings.
OPS = {
    "torch": {"import": "import torch", "sigmoid": "torch.sigmoid({})", "tanh": "torch.tanh({})",
              "relu": "torch.relu({})", "stack": "torch.stack({})", "join": "torch.cat([{}, {}], -1)",
              "split": "list(({}).chunk({}, -1))", "swap": "{}.transpose(0, 1)", "exp": "torch.exp({})",
              "zeros": "{like}.new_zeros({shape})", "zeros_like": "torch.zeros_like({})",
              "round32": "{}.float().to({}.dtype)", "draw": "torch.rand(1)"},
    "numpy": {"import": "import numpy as np", "sigmoid": "1.0 / (1.0 + np.exp(-({})))", "tanh": "np.tanh({})",
              "relu": "np.maximum({}, 0)", "stack": "np.stack({})", "join": "np.concatenate([{}, {}], -1)",
              "split": "np.split({}, {}, -1)", "swap": "np.swapaxes({}, 0, 1)", "exp": "np.exp({})",
              "zeros": "np.zeros({shape}, dtype={like}.dtype)", "zeros_like": "np.zeros_like({})",
              "round32": "{}.astype(np.float32).astype({}.dtype)", "draw": "np.random.rand()"},
}
RETURN_DECLARATIONS = {"torch": "", "cache": "output,_", "steps": "output,{states}", "output": "output",
                       "h_n": "{states}"}


@dataclass(frozen=True)
class Written:
    """A generated implementation: its source, its target and what a user would declare for it."""

    design: Design
    source: str
    target_name: str  # after the colon: ``rnn_forward``, ``MyRNN``, ``MyRNN.run``
    constructor: tuple  # ((name, Slot), ...) of a plain class's constructor or a module's sizes
    parameters: tuple  # ((name, Slot), ...) of what is called (function, method, forward, cell)
    module_weights: tuple  # ((path, Slot), ...) of an nn.Module's own parameters
    mode: str
    bind: str
    returns: str

    def declaration(self) -> list:
        """The command-line arguments that say every fact: the mode, each name, what comes back."""
        args = ["--rnn-mode", self.mode, "--rnn-bind", self.bind]
        return args + (["--rnn-returns", self.returns] if self.returns else [])

    def save(self, folder: Path, stem: str) -> str:
        """Write the file into `folder`; returns the ``--rnn-impl`` target."""
        path = Path(folder) / f"{stem}.py"
        path.write_text(self.source)
        return f"{path}:{self.target_name}"


def write(design: Design) -> Written:
    return _Writer(design).written()


class _Writer:
    def __init__(self, design: Design) -> None:
        self.d = design
        self.ops = OPS[design.backend]
        self.owner = "self." if design.entry in ("class", "module", "method") else ""
        self.weights = self._weight_slots()

    # ------------------------------------------------------------------ what each name holds
    def _weight_slots(self) -> list:
        """(name, Slot) of every weight and bias, in signature order."""
        d, n, gates = self.d, self.d.names, TORCH_GATES[self.d.mode]
        transposed = not d.out_in
        found = []
        if d.storage == "per_gate":
            for gate in gates:
                found += [(n[f"x.{gate}"], Weight("ih", gate, transposed)), (n[f"h.{gate}"], Weight("hh", gate, transposed))]
                if d.bias == "summed":
                    found.append((n[f"b.{gate}"], Sum((Bias("ih", gate), Bias("hh", gate)))))
                elif d.bias == "two":
                    found += [(n[f"bx.{gate}"], Bias("ih", gate)), (n[f"bh.{gate}"], Bias("hh", gate))]
            return found
        if d.storage == "concat":
            found.append((n["joint"], Joined(transposed)))
        elif d.storage == "list":
            found += [(n[side], Listed(tuple(Weight(side, gate, transposed) for gate in gates))) for side in ("ih", "hh")]
        else:
            found += [(n[side], Weight(side, None, d.storage == "transposed")) for side in ("ih", "hh")]
        if d.bias == "summed":
            found.append((n["bias"], Sum((Bias("ih"), Bias("hh")))))
        elif d.bias == "two":
            found += [(n["bias_ih"], Bias("ih")), (n["bias_hh"], Bias("hh"))]
        return found

    def _state_slots(self) -> list:
        d, n = self.d, self.d.names
        if d.mode == "lstm" and d.lstm_state == "pair":
            return [(n["state"], Named("hx"))]
        if d.mode == "lstm" and d.lstm_state == "separate":
            return [(n["h0"], Named("h0")), (n["c0"], Named("c0"))]
        return [(n["h0"], Named("h0" if d.mode == "lstm" else "hx"))]

    def _call_parameters(self) -> tuple:
        """(signature text, ((name, Slot), ...)) of what is called."""
        d = self.d
        called = [(d.names["input"], Named("input"))]
        states = self._state_slots()
        weights = [] if self.owner else self.weights
        text = [d.names["input"]]
        if not d.state_default:
            text += [name for name, _ in states]
        text += [name for name, _ in weights]
        if d.state_default:
            text += [f"{name}=None" for name, _ in states]
        if d.layout == "param" and d.entry != "module":
            text.append("batch_first=False")
        return ", ".join(text), tuple(called + states + weights)

    # ------------------------------------------------------------------ the file
    def written(self) -> Written:
        d = self.d
        signature, parameters = self._call_parameters()
        lines = [f'"""Generated by tests/generated: {d.describe()}."""', self.ops["import"]]
        if d.entry == "module":
            lines.append("from torch import nn")
        if d.side_effect == "sleep":
            lines.append("import time")
        lines.append("")
        lines += {"rng": ["_SHAPES_SEEN = set()"], "lazy": ["_TABLES = {}"], "sleep": ["_WARMED = []"]}.get(d.side_effect, [])
        if d.mistake == "unstable_activation":
            lines += ["", "", "def tanh_by_hand(z):", f"    e = {self.ops['exp'].format('2 * z')}",
                      "    return (e - 1) / (e + 1)"]
        lines += ["", ""]
        constructor, module_weights = (), ()
        if d.entry == "function" or d.entry == "cell":
            lines.append(f"def {d.names['entry']}({signature}):")
            lines += self._indent(self._body(), 1)
            target = d.names["entry"]
        else:
            constructor, module_weights, class_lines = self._class(signature)
            lines += class_lines
            target = d.names["entry"] + (f".{d.names['method']}" if d.entry == "method" else "")
        mode = f"{d.mode}_cell" if d.entry == "cell" else d.mode
        declared = [(name, slot) for name, slot in (*constructor, *parameters, *module_weights)]
        bind = ",".join(f"{name}={render(slot)}" for name, slot in declared)
        states = "(h_n,c_n)" if d.mode == "lstm" else "h_n"
        returns = RETURN_DECLARATIONS[d.returns].format(states=states) if d.entry != "cell" else ""
        said = f'--rnn-mode {mode} --rnn-bind "{bind}"' + (f' --rnn-returns "{returns}"' if returns else "")
        lines[0] = f'"""Generated by tests/generated: {d.describe()}.\n\nTrue declaration: {said}\n"""'
        return Written(d, "\n".join(lines) + "\n", target, constructor, parameters, module_weights, mode, bind, returns)

    def _class(self, signature: str) -> tuple:
        d, n = self.d, self.d.names
        method = n["method"]
        lines = [f"class {n['entry']}{'(nn.Module)' if d.entry == 'module' else ''}:"]
        if d.entry == "module":
            sizes = [(n["input_size"], Named("input_size")), (n["hidden_size"], Named("hidden_size"))]
            flag = ", batch_first=False" if d.layout == "param" else ""
            init = [f"def __init__(self, {n['input_size']}, {n['hidden_size']}{flag}):", "    super().__init__()"]
            if d.layout == "param":
                if d.refusal == "batch_first":
                    init += ["    if batch_first:", '        raise NotImplementedError("batch_first=True is not supported")']
                init.append("    self.batch_first = batch_first")
            module_weights = []
            for name, slot in self.weights:
                shape = self._shape(slot, n["input_size"], n["hidden_size"])
                if isinstance(slot, Listed):
                    items = ", ".join(f"nn.Parameter(torch.empty({s}))" for s in shape)
                    init.append(f"    self.{name} = nn.ParameterList([{items}])")
                    module_weights += [(f"{name}.{k}", item) for k, item in enumerate(slot.items)]
                else:
                    init.append(f"    self.{name} = nn.Parameter(torch.empty({shape}))")
                    module_weights.append((name, slot))
            constructor = tuple(sizes)
        else:
            init = [f"def __init__(self, {', '.join(name for name, _ in self.weights)}):"]
            init += [f"    self.{name} = {name}" for name, _ in self.weights] or ["    pass"]
            module_weights, constructor = [], tuple(self.weights)
        lines += self._indent(init, 1) + [""]
        lines += self._indent([f"def {method}(self, {signature}):"] + self._indent(self._body(), 1), 1)
        return constructor, tuple(module_weights), lines

    def _shape(self, slot, input_size: str, hidden_size: str):
        """The shape of a module's parameter holding `slot`, in the constructor's own size names."""
        g = self.d.gates
        sizes = {"ih": input_size, "hh": hidden_size}
        if isinstance(slot, Listed):
            return [self._shape(item, input_size, hidden_size) for item in slot.items]
        if isinstance(slot, Weight):
            rows = hidden_size if slot.gate else f"{g} * {hidden_size}"
            pair = (rows, sizes[slot.side])
            return "({}, {})".format(*(pair[::-1] if slot.transposed else pair))
        if isinstance(slot, Joined):
            pair = (f"{g} * {hidden_size}", f"{hidden_size} + {input_size}")
            return "({}, {})".format(*(pair[::-1] if slot.transposed else pair))
        gate = slot.terms[0].gate if isinstance(slot, Sum) else slot.gate
        return f"({hidden_size if gate else f'{g} * {hidden_size}'},)"

    @staticmethod
    def _indent(lines: list, levels: int) -> list:
        return [("    " * levels + line) if line else line for line in lines]

    # ------------------------------------------------------------------ the computation
    def _ref(self, name: str) -> str:
        return self.owner + name

    def _body(self) -> list:
        d = self.d
        lines = self._side_effect() + self._refusal()
        lines += self._cell_body() if d.entry == "cell" else self._sequence_body()
        return lines

    def _side_effect(self) -> list:
        d, x = self.d, self.d.names["input"]
        if d.side_effect == "rng":
            return [f"if tuple({x}.shape) not in _SHAPES_SEEN:", f"    _SHAPES_SEEN.add(tuple({x}.shape))",
                    f"    {self.ops['draw']}"]
        if d.side_effect == "lazy":
            return ['if "steps" not in _TABLES:', '    _TABLES["steps"] = [k for k in range(8)]']
        if d.side_effect == "sleep":
            return ["if not _WARMED:", "    time.sleep(0.2)", "    _WARMED.append(True)"]
        return []

    def _refusal(self) -> list:
        d, x = self.d, self.d.names["input"]
        if d.refusal == "unbatched":
            return [f"if {x}.ndim == {1 if d.entry == 'cell' else 2}:",
                    '    raise NotImplementedError("unbatched input is not supported")']
        if d.refusal == "batch_first" and d.entry != "module":
            return ["if batch_first:", '    raise NotImplementedError("batch_first=True is not supported")']
        return []

    def _hidden_size(self) -> str:
        d, n, g = self.d, self.d.names, self.d.gates
        if d.storage == "concat":
            return f"{self._ref(n['joint'])}.shape[{0 if d.out_in else 1}] // {g}"
        if d.storage == "per_gate":
            return f"{self._ref(n['h.' + TORCH_GATES[d.mode][0]])}.shape[0]"
        if d.storage == "list":
            return f"{self._ref(n['hh'])}[0].shape[0]"
        return f"{self._ref(n['hh'])}.shape[{1 if d.storage == 'torch' else 0}]"

    def _bias_terms(self, gate=None, index=None) -> tuple:
        """(input-side, hidden-side) bias text, with the bias mistakes."""
        d, n = self.d, self.d.names
        if d.bias == "none":
            return "", ""
        if d.storage == "per_gate":
            names = (n[f"bx.{gate}"], n[f"bh.{gate}"]) if d.bias == "two" else (n[f"b.{gate}"], None)
            refs = [self._ref(name) if name else None for name in names]
        else:
            names = (n["bias_ih"], n["bias_hh"]) if d.bias == "two" else (n["bias"], None)
            refs = [self._ref(name) if name else None for name in names]
            if index is not None:
                refs = [f"{ref}[{index} * hidden:({index} + 1) * hidden]" if ref else None for ref in refs]
        into, hidden = refs
        if d.mistake == "missing_bias_ih":
            into = None
        if d.mistake == "missing_bias_hh":
            hidden = None
        if d.mistake == "bias_twice":
            hidden = f"2 * {hidden}"
        return (f" + {into}" if into else ""), (f" + {hidden}" if hidden else "")

    def _product(self, vector: str, weight: str, transposed: bool) -> str:
        """``vector`` times a weight stored (out, in) (`transposed` False) or (in, out)."""
        if self.d.mistake == "weights_transposed":
            return f"{vector} @ {weight}.reshape({weight}.shape[1], {weight}.shape[0])"
        return f"{vector} @ {weight}" if transposed else f"{vector} @ {weight}.T"

    def _parts(self) -> list:
        """The helper functions giving each gate's pre-activation: input_part(v), hidden_part(v) (a list
        in torch's gate order), or joint_part(v, h) for weights on [h, x]."""
        d, n, g, split = self.d, self.d.names, self.d.gates, self.ops["split"]
        transposed = not d.out_in
        if d.storage == "concat":
            into, hidden = self._bias_terms()
            joined = self.ops["join"].format("h", "v")
            return ["def joint_part(v, h):",
                    f"    return {split.format(self._product(joined, self._ref(n['joint']), transposed) + into + hidden, g)}"]
        lines = []
        for part, side, which in (("input_part", "ih", 0), ("hidden_part", "hh", 1)):
            if d.storage in ("torch", "transposed"):
                bias = self._bias_terms()[which]
                expr = split.format(self._product("v", self._ref(n[side]), d.storage == "transposed") + bias, g)
            else:
                items = []
                for k, gate in enumerate(TORCH_GATES[d.mode]):
                    if d.storage == "per_gate":
                        weight, bias = self._ref(n[f"{'x' if side == 'ih' else 'h'}.{gate}"]), self._bias_terms(gate)[which]
                    else:
                        weight, bias = f"{self._ref(n[side])}[{k}]", self._bias_terms(index=k)[which]
                    items.append(self._product("v", weight, transposed) + bias)
                expr = "[" + ", ".join(items) + "]"
            lines += [f"def {part}(v):", f"    return {expr}"]
        return lines

    def _act(self, kind: str, text: str) -> str:
        if kind == "tanh" and self.d.mistake == "unstable_activation":
            return f"tanh_by_hand({text})"
        return self.ops[kind].format(text)

    def _unpack(self, prefix: str) -> str:
        gates = TORCH_GATES[self.d.mode]
        order = self.d.gate_order or tuple(range(len(gates)))
        return ", ".join(f"{prefix}_{gates[k]}" for k in order) + ("," if len(gates) == 1 else "")

    def _step(self) -> list:
        """From x_cur, h_prev_ (and c_prev_) to h_cur (and c_cur)."""
        d = self.d
        if d.storage == "concat":
            lines = [f"{self._unpack('ga')} = joint_part(x_cur, h_prev_)"]
        else:
            lines = [f"{self._unpack('gx')} = input_part(x_cur)", f"{self._unpack('gh')} = hidden_part(h_prev_)"]
            if d.mode != "gru":
                lines += [f"ga_{gate} = gx_{gate} + gh_{gate}" for gate in TORCH_GATES[d.mode]]
        if d.mode == "rnn":
            lines.append(f"h_cur = {self._act('relu' if d.mistake == 'wrong_nonlinearity' else 'tanh', 'ga_h')}")
        elif d.mode == "lstm":
            candidate = "sigmoid" if d.mistake == "wrong_gate_activation" else "tanh"
            lines += [f"i = {self._act('sigmoid', 'ga_i')}", f"f = {self._act('sigmoid', 'ga_f')}",
                      f"g = {self._act(candidate, 'ga_g')}", f"o = {self._act('sigmoid', 'ga_o')}",
                      "c_cur = f * c_prev_ + i * g", f"h_cur = o * {self._act('tanh', 'c_cur')}"]
        else:
            candidate = "sigmoid" if d.mistake == "wrong_gate_activation" else "tanh"
            reset = "hidden_part(r * h_prev_)[2]" if d.mistake == "gru_reset_before_matmul" else "r * gh_n"
            update = ("z * n + (1 - z) * h_prev_" if d.mistake == "gru_update_swapped"
                      else "(1 - z) * n + z * h_prev_")
            lines += [f"r = {self._act('sigmoid', 'gx_r + gh_r')}", f"z = {self._act('sigmoid', 'gx_z + gh_z')}",
                      f"n = {self._act(candidate, f'gx_n + {reset}')}", f"h_cur = {update}"]
        if d.mistake == "low_precision":
            lines.append(f"h_cur = {self.ops['round32'].format('h_cur', 'x_cur')}")
            if d.mode == "lstm":
                lines.append(f"c_cur = {self.ops['round32'].format('c_cur', 'x_cur')}")
        return lines

    def _cell_body(self) -> list:
        d, n, lstm = self.d, self.d.names, self.d.mode == "lstm"
        lines = [f"x_cur = {n['input']}"]
        if lstm and d.lstm_state == "pair":
            lines.append(f"h_prev_, c_prev_ = {n['state']}")
        else:
            lines.append(f"h_prev_ = {n['h0']}" + (f"\nc_prev_ = {n['c0']}" if lstm else ""))
        lines = "\n".join(lines).split("\n")
        states = "h_prev_, c_prev_" if lstm else "h_prev_"
        lines += ["unbatched = x_cur.ndim == 1", "if unbatched:",
                  f"    x_cur, {states} = x_cur[None], " + ", ".join(f"{s}[None]" for s in states.split(", "))]
        if d.mistake == "initial_state_ignored":
            lines += [f"{s} = {self.ops['zeros_like'].format(s)}" for s in states.split(", ")]
        lines += [f"hidden = {self._hidden_size()}"] + self._parts() + self._step()
        result = "h_cur, c_cur" if lstm else "h_cur"
        lines += ["if unbatched:", f"    {result} = " + ", ".join(f"{s}[0]" for s in result.split(", ")),
                  f"return {result}"]
        return lines

    def _sequence_body(self) -> list:
        d, n, lstm, ops = self.d, self.d.names, self.d.mode == "lstm", self.ops
        batch_first = {"seq": None, "batch": "True", "param": "self.batch_first" if d.entry == "module" else "batch_first"}[d.layout]
        lines = [f"x_all = {n['input']}"]
        if lstm and d.lstm_state == "pair":
            if d.state_default:
                lines += [f"h_src, c_src = {n['state']} if {n['state']} is not None else (None, None)"]
            else:
                lines.append(f"h_src, c_src = {n['state']}")
        else:
            lines.append(f"h_src = {n['h0']}")
            if lstm:
                lines.append(f"c_src = {n['c0']}" if d.lstm_state == "separate" else "c_src = None")
        lines += ["unbatched = x_all.ndim == 2", "if unbatched:", "    x_all = x_all[:, None]"]
        if batch_first:
            lines.append("else:" if batch_first == "True" else f"elif {batch_first}:")
            if d.mistake == "batch_mixing":
                lines.append("    x_all = x_all.reshape(x_all.shape[1], x_all.shape[0], x_all.shape[2])")
            else:
                lines.append(f"    x_all = {ops['swap'].format('x_all')}")
        lines += ["steps_n, batch = x_all.shape[0], x_all.shape[1]", f"hidden = {self._hidden_size()}", "",
                  "def initial(src):", "    if src is None:",
                  f"        return {ops['zeros'].format(like='x_all', shape='(batch, hidden)')}"]
        lines += ["    src = src[0]"] if d.layer_dim else []
        lines += ["    return src[None] if unbatched else src", ""]
        states = ("h", "c") if lstm else ("h",)
        lines += [f"{s}_cur = initial({s}_src)" for s in states]
        if d.mistake == "initial_state_ignored":
            lines += [f"{s}_cur = {ops['zeros_like'].format(s + '_cur')}" for s in states]
        lines += [f"{s}_first = {s}_cur" for s in states]
        lines += self._parts() + ["collected = []", "for t in range(steps_n):", "    x_cur = x_all[t]"]
        if d.mistake == "time_shift":
            lines.append("    collected.append(h_cur)")
        source = "first" if d.mistake == "state_not_carried" else "cur"
        lines += [f"    {s}_prev_ = {s}_{source}" for s in states]
        lines += self._indent(self._step(), 1)
        if d.mistake != "time_shift":
            lines.append("    collected.append(h_cur)")
        if d.mistake == "default_dtype_buffer":
            lines += ["output = torch.zeros(len(collected), batch, hidden)", "for t, step in enumerate(collected):",
                      "    output[t] = step"]
        else:
            lines.append(f"output = {ops['stack'].format('collected')}")
        lines += [f"{s}_n = {s}_cur" for s in states]
        lines += ["if unbatched:", "    output = output[:, 0]", "    collected = [step[0] for step in collected]"]
        lines += [f"    {s}_n = {s}_n[0]" for s in states]
        if batch_first and d.mistake != "output_seq_first":
            lines.append("else:" if batch_first == "True" else f"elif {batch_first}:")
            if d.mistake == "batch_mixing":
                lines.append("    output = output.reshape(batch, steps_n, -1)")
            else:
                lines.append(f"    output = {ops['swap'].format('output')}")
        if d.layer_dim:
            shaped = "{0}[None] if unbatched else {0}[:, None]" if d.mistake == "hn_batch_first" else "{0}[None]"
            lines += [f"{s}_n = " + shaped.format(f"{s}_n") for s in states]
        final = "(h_n, c_n)" if lstm else "h_n"
        lines.append("return " + {"torch": f"output, {final}", "cache": "output, (collected, x_all)",
                                  "steps": f"collected, {final}", "output": "output",
                                  "h_n": "h_n, c_n" if lstm else "h_n"}[d.returns])
        return lines
