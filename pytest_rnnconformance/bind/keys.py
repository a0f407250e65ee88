"""The keys a function looks up in a dict it is given, read from its code: ``parameters["Wax"]``.

A parameter named like torch.nn's named-parameter dict (``parameters``, ``params``, ``weights``) is
bound to that dict; a course's code (``parameters["Wax"]``, ``parameters["Wf"]``) holds keys of its
own in it. Read from the source, those keys say so before any call, and let a refusal print the
whole dict to declare, one entry a key, instead of finding one missing key per run. The function's
own subscripts count, through a name it gives the dict (``p = parameters``), and those of the
functions it hands the dict on to, in its module or one it imported (``rnn_forward`` passes
``parameters`` to ``rnn_cell_forward`` or ``course_utils.rnn_cell_forward``). Keys built at run time
(``params[f"weight_ih_l{k}"]``) are not read: nothing is concluded from them.
"""
from __future__ import annotations

import ast
import inspect
import types
import re
import textwrap
from typing import Any

#: torch.nn's own parameter names, in any layer and direction: a dict looked up by these is torch.nn's.
TORCH_KEY = re.compile(r"(weight|bias)_(ih|hh|hr)(_l\d+)?(_reverse)?")


def looked_up(function: Any, parameter: str, depth: int = 3) -> list:
    """The constant string keys `function` looks `parameter` up by (``parameter["k"]``,
    ``parameter.get("k")``), with those of the module's functions it passes `parameter` to, down to
    `depth` calls; in the order first met, without repeats. Empty where the source cannot be read."""
    found: list = []
    _read(function, parameter, depth, found, set())
    return found


def own_keys(function: Any, parameter: str) -> list:
    """The keys `function` looks `parameter` up by, if any of them is not one of torch.nn's names."""
    keys = looked_up(function, parameter)
    return keys if any(not TORCH_KEY.fullmatch(key) for key in keys) else []


def _read(function: Any, parameter: str, depth: int, found: list, seen: set) -> None:
    if depth < 0 or function in seen or not inspect.isfunction(function):
        return
    seen.add(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return
    nodes = sorted(ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    names = _aliases(nodes, parameter)
    for node in nodes:
        key = _key(node, names)
        if key is not None and key not in found:
            found.append(key)
        if isinstance(node, ast.Call):
            callee = _callee(function, node.func)
            handed = _parameter_handed(callee, node, names)
            if handed:
                _read(callee, handed, depth - 1, found, seen)


def _aliases(nodes: list, parameter: str) -> set:
    """`parameter` and every plain name the function gives it (``p = parameters``)."""
    names = {parameter}
    for node in nodes:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in names
                and all(isinstance(target, ast.Name) for target in node.targets)):
            names |= {target.id for target in node.targets}
    return names


def _callee(function: Any, called: ast.AST) -> Any:
    """What a call's ``f`` or ``module.f`` names in `function`'s module; None for anything else."""
    if isinstance(called, ast.Name):
        return function.__globals__.get(called.id)
    if isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name):
        module = function.__globals__.get(called.value.id)
        return getattr(module, called.attr, None) if isinstance(module, types.ModuleType) else None
    return None


def _key(node: ast.AST, names: set):
    """The constant key of ``parameter["k"]`` or ``parameter.get("k", ...)`` (the dict under any of
    its `names`); None for anything else."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in names:
        index = node.slice
        return index.value if isinstance(index, ast.Constant) and isinstance(index.value, str) else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id in names and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return node.args[0].value
    return None


def _parameter_handed(callee: Any, call: ast.Call, names: set):
    """The name under which `callee` receives the dict (under any of its `names`) in `call`."""
    if not inspect.isfunction(callee):
        return None
    parameters = list(inspect.signature(callee).parameters)
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Name) and argument.id in names and position < len(parameters):
            return parameters[position]
    for keyword in call.keywords:
        if isinstance(keyword.value, ast.Name) and keyword.value.id in names and keyword.arg in parameters:
            return keyword.arg
    return None
