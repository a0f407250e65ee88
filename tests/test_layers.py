"""The package's layering is true: every import, at the top of a module or inside a function, goes
down the pipeline, and no module imports itself back through others.

The stages and their order are docs/architecture.md's; this test reads that list from the document,
so the document and the code cannot drift apart.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_rnnconformance"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"


def stage_order() -> list:
    """The stages, lowest first, from the architecture document's 'Stage order' list: each item is
    ``N. `name`, `name` ...`` naming the modules or sub-packages of that stage."""
    text = ARCHITECTURE.read_text()
    section = text.split("## Stage order", 1)[1].split("\n## ", 1)[0]
    stages = []
    for line in section.splitlines():
        if re.match(r"^\d+\. ", line):
            stages.append(re.findall(r"`([\w.]+)`", line.split(" — ")[0]))
    return stages


def module_names() -> dict:
    """Dotted module name -> (path, is a package)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def imports() -> dict:
    """Module -> the package modules it imports anywhere in its body (functions included)."""
    modules = module_names()
    edges: dict = {name: set() for name in modules}
    for name, (path, package) in modules.items():
        here = name if package else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules
                           or f"{target}.{alias.name}".startswith("pytest_rnnconformance.reference") else target
                           for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pytest_rnnconformance"):
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name.startswith("pytest_rnnconformance")]
            # the reference (installed from reference/ as pytest_rnnconformance.reference) imports only torch
            targets = [t for t in targets if not t.startswith("pytest_rnnconformance.reference")]
            edges[name] |= {target for target in targets if target in modules and target != name}
    return edges


def stage_of(module: str, stages: list) -> int:
    relative = module.removeprefix("pytest_rnnconformance").lstrip(".") or "__init__"
    for index, names in enumerate(stages):
        for name in names:
            if relative == name or relative.startswith(name + "."):
                return index
    raise AssertionError(f"{module} belongs to no stage of docs/architecture.md's 'Stage order'")


def test_every_module_belongs_to_a_documented_stage():
    stages = stage_order()
    assert len(stages) >= 8, stages
    for module in module_names():
        stage_of(module, stages)


def test_every_import_goes_down_the_pipeline():
    stages = stage_order()
    upward = [f"{module} (stage {stage_of(module, stages)}) imports {target} (stage {stage_of(target, stages)})"
              for module, targets in imports().items() for target in sorted(targets)
              if stage_of(target, stages) > stage_of(module, stages)]
    assert not upward, "\n".join(upward)


def test_no_module_imports_itself_back():
    edges = imports()
    cycles = []
    for start in edges:
        seen, frontier = set(), [(start, (start,))]
        while frontier:
            module, path = frontier.pop()
            for target in edges[module]:
                if target == start:
                    cycles.append(" -> ".join(path + (start,)))
                elif target not in seen:
                    seen.add(target)
                    frontier.append((target, path + (target,)))
    assert not cycles, "\n".join(sorted(set(cycles))[:10])
