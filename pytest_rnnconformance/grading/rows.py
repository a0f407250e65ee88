"""Which rows a rubric asks the plugin for, and why a row is left unchecked.

Both the grader's runs (`runner`: the ``--rnn-rows`` of each student's run) and the assignment's
maximum (`assignment`, `scoring`) read the plugin's rows through here, so they agree on what a
rubric's settings can check.
"""
from __future__ import annotations

from typing import Optional

from .rubric import Rubric

HALF = ("float16", "bfloat16")


def plugin_rows() -> dict:
    """The plugin's rows, name -> `Feature`, in matrix order ({} for a plugin without a registry)."""
    try:
        from ..features import registry
    except Exception:  # noqa: BLE001 - an older or broken plugin: nothing is known
        return {}
    return registry()


def unchecked_reason(name: str, rubric: Rubric, rows: Optional[dict] = None) -> str:
    """Why the plugin asks no question of `name` under the rubric's settings; "" when it does."""
    rows = plugin_rows() if rows is None else rows
    feature = rows.get(name)
    if feature is None:
        return "not checked by this version of the plugin"
    if rubric.mode:
        try:
            applies = feature.applies_to(rubric.mode)
        except Exception:  # noqa: BLE001 - a mode this process does not know (a registered cell)
            applies = True
        if not applies:
            return f"no question for {rubric.mode.upper().replace('_CELL', ' cell')}"
    if not _columns(getattr(feature, "dtypes", "base"), rubric.dtypes):
        return f"no column in the rubric's dtypes ({', '.join(rubric.dtypes)})"
    return ""


def _columns(which: str, dtypes: tuple) -> list:
    """The dtypes a row runs in (as the plugin's ``Settings.dtypes_for``, dtypes always chosen)."""
    base = [d for d in dtypes if d not in HALF] or list(dtypes)
    half = [d for d in HALF if d in dtypes]
    return {"first": base[:1], "float64": [d for d in dtypes if d == "float64"], "half": half, "base": base,
            "all": list(dict.fromkeys(base + half))}.get(which, base)


def run_rows(rubric: Rubric) -> tuple:
    """The rows each student's run needs (``--rnn-rows``); () for every row.

    The graded rows, the rows they are gated on, ``no_delegation`` while its penalty applies, and
    every row a graded row can be *blocked by*, so that a blocked row always names a row that was
    judged (and whose failure the feedback can show): the base rows (``forward``, and ``float64``
    and ``half`` for their columns), the rows a row builds on (``dropout`` on ``multilayer``), and
    for ``combined``, which any row that owns a dimension can block, every row.
    """
    if rubric.features is None:
        return ()
    rows = plugin_rows()
    wanted = set(rubric.features) | set(rubric.required)
    for rule in rubric.features.values():
        wanted |= set(rule.requires)
    if rubric.delegation != "ignore":
        wanted.add("no_delegation")
    if "combined" in wanted:
        return ()
    wanted.add("forward")
    for name in list(wanted):
        feature = rows.get(name)
        if feature is not None:
            wanted |= set(getattr(feature, "builds_on", ()))
    wanted |= {name for name, feature in rows.items()
               if getattr(feature, "dtypes", "") in ("float64", "half") and not unchecked_reason(name, rubric, rows)}
    chosen = tuple(name for name in rows if name in wanted)
    return () if set(chosen) == set(rows) else chosen
