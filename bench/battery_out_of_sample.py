"""How many of the 32 learner implementations need no declaration, out of sample.

Commit f47d08e taught the binder the battery's own names (``hprev``, ``init_states``, ``H_C``,
``hidden_sz``...) in the same commit that removed the battery's declarations, so "16 of 32 need no
declaration" was measured on the names it was fitted to. Here the names that commit added are taken
out again, in this process, and every entry of ``tests/learners/manifest.toml`` is run with no
``--rnn-bind`` and no ``--rnn-returns`` (its ``--rnn-mode``, if any, kept):

- *in sample*: the vocabulary as it is;
- *without its role names*: the names f47d08e added to ``bind/vocabulary.py``'s ``ROLE_NAMES`` removed;
- *without its names and readings*: also the entries it added to ``H_ALONE`` and to ``bind/guess.py``'s
  ``GATE_WORDS`` and ``SUBSCRIPTS`` (the readings of ``forget_gate``, ``Wax``...). Readings it wrote
  as code (``U`` for the hidden side, ``x2h``) cannot be taken out by removing names and stay.

Which names were added is read from git (each table at f47d08e against its parent), not typed here.
An entry "needs no declaration" when, so run, the ``forward`` row gets its true verdict (pass for a
correct entry and for a wrong one whose bug another row owns; fail, with the manifest's diagnosis,
for a wrong one whose bug is forward's); a refusal (exit 4) or another verdict means it needs one.
Only ``forward`` is run (3 examples, float64): binding is what is measured, not the depth of the search.

    python bench/battery_out_of_sample.py
"""
from __future__ import annotations

import ast
import subprocess
import sys
import time
import tomllib
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "tests"))

from matrix import run_matrix  # noqa: E402
from pytest_rnnconformance.bind import functions, guess, vocabulary  # noqa: E402

COMMIT = "f47d08e"
LEARNERS = REPO / "tests" / "learners"
MANIFEST = tomllib.loads((LEARNERS / "manifest.toml").read_text())
DECLARATIONS = ("--rnn-bind", "--rnn-returns")


def table(commit: str, path: str, name: str):
    """The literal ``name = ...`` of ``path`` at ``commit`` (None where it does not exist yet)."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:{path}"], capture_output=True, text=True,
                            check=True).stdout
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(node.value)
    return None


def added(path: str, name: str):
    """What ``COMMIT`` added to the table ``name`` of ``path``: per key for a dict, else a set."""
    after, before = table(COMMIT, path, name), table(f"{COMMIT}^", path, name)
    if isinstance(after, dict):
        before = before or {}
        return {key: set(_items(value)) - set(_items(before.get(key, ()))) for key, value in after.items()}
    return set(after or ()) - set(before or ())


def _items(value):
    return value.keys() if isinstance(value, dict) else value


VOCABULARY, GUESS = "pytest_rnnconformance/bind/vocabulary.py", "pytest_rnnconformance/bind/guess.py"


def without_role_names() -> dict:
    removed = added(VOCABULARY, "ROLE_NAMES")
    role_names = {role: tuple(n for n in names if n not in removed.get(role, ())) for role, names in
                  vocabulary.ROLE_NAMES.items()}
    return {(vocabulary, "ROLE_NAMES"): role_names,
            (vocabulary, "_NAME_TO_ROLE"): {n: role for n, role in vocabulary._NAME_TO_ROLE.items()
                                            if n in role_names[role]}}


def without_names_and_readings() -> dict:
    h_alone = tuple(n for n in vocabulary.H_ALONE if n not in added(VOCABULARY, "H_ALONE"))
    gate_words = {family: {w: g for w, g in words.items() if w not in added(GUESS, "GATE_WORDS").get(family, ())}
                  for family, words in guess.GATE_WORDS.items()}
    subscripts = {k: v for k, v in guess.SUBSCRIPTS.items() if k not in added(GUESS, "SUBSCRIPTS")}
    return {**without_role_names(), (vocabulary, "H_ALONE"): h_alone, (functions, "H_ALONE"): h_alone,
            (guess, "GATE_WORDS"): gate_words, (guess, "SUBSCRIPTS"): subscripts,
            (guess, "ALWAYS_GATE_WORDS"): tuple(w for w in guess.ALWAYS_GATE_WORDS
                                                if w not in added(GUESS, "ALWAYS_GATE_WORDS"))}


def _parameter_names(path: Path) -> set:
    """Every parameter name of every function in ``path``."""
    return {a.arg for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)
            for a in node.args.args + node.args.kwonlyargs}


def undeclared(args: list) -> str | None:
    """The --rnn-mode the entry's arguments give, if any (declarations are dropped)."""
    return next((args[i + 1] for i, a in enumerate(args) if a == "--rnn-mode"), None)


def verdict(name: str, entry: dict) -> tuple[bool, str]:
    """(true verdict with no declaration, what happened)."""
    path, attr = entry["target"].split(":")
    try:
        matrix = run_matrix(f"{LEARNERS / path}:{attr}", mode=undeclared(entry["args"]), dtypes=("float64",),
                            max_examples=3, rows=("forward",))
    except Exception as error:  # noqa: BLE001 - a refusal (BindingError, usage error) is the finding
        return False, f"refused: {str(error).splitlines()[0][:90]}"
    status = matrix.statuses["forward"]
    if entry["correct"] or entry["owner"] != "forward":
        return status == "pass", f"forward {status}"
    named = matrix.failures["forward"].diagnosis[:1] if status == "fail" else None
    return status == "fail" and named == ([entry["diagnosis"]] if entry["diagnosis"] else []), \
        f"forward {status} {named}"


def measure(patches: dict) -> dict:
    saved = {(module, attr): getattr(module, attr) for module, attr in patches}
    for (module, attr), value in patches.items():
        setattr(module, attr, value)
    try:
        still_known = [n for names in added(VOCABULARY, "ROLE_NAMES").values() for n in names
                       if vocabulary.role_of(n)[0] is not None]
        if patches and still_known:  # the patch must take effect, or the measure is in sample again
            raise SystemExit(f"removed names still understood: {still_known}")
        return {name: verdict(name, entry) for name, entry in MANIFEST.items()}
    finally:
        for (module, attr), value in saved.items():
            setattr(module, attr, value)


def main() -> int:
    started = time.perf_counter()
    removed_roles = {role: sorted(names) for role, names in added(VOCABULARY, "ROLE_NAMES").items() if names}
    print(f"names {COMMIT} added to ROLE_NAMES: {removed_roles}")
    print(f"... to H_ALONE: {sorted(added(VOCABULARY, 'H_ALONE'))}; to GATE_WORDS: "
          f"{ {k: sorted(v) for k, v in added(GUESS, 'GATE_WORDS').items()} }; to SUBSCRIPTS: "
          f"{sorted(added(GUESS, 'SUBSCRIPTS'))}")
    users = sorted(path.stem for path in LEARNERS.glob("[!_]*.py")
                   if _parameter_names(path) & {n for names in removed_roles.values() for n in names})
    print(f"battery files with a parameter so named: {users}")
    runs = {"in sample": measure({}), "without its role names": measure(without_role_names()),
            "without its names and readings": measure(without_names_and_readings())}
    declared = {name for name, entry in MANIFEST.items() if any(a in DECLARATIONS for a in entry["args"])}
    print(f"\n| entry | manifest declares | {' | '.join(runs)} |")
    print("|---|---|" + "---|" * len(runs))
    for name in MANIFEST:
        cells = [("no declaration" if ok else "needs one") + f" ({said})" for ok, said in (r[name] for r in
                                                                                          runs.values())]
        print(f"| {name} | {'yes' if name in declared else 'no'} | {' | '.join(cells)} |")
    print()
    for label, run in runs.items():
        print(f"{label}: {sum(ok for ok, _ in run.values())}/{len(MANIFEST)} need no declaration")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
