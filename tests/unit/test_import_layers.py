"""The package layout stays livable: no import circles, and imports point down.

Walks every module under ``src/guestloyalty`` with :mod:`ast` (module-level, function-level
and ``TYPE_CHECKING`` imports alike) and builds the graph of imports between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "guestloyalty"

#: Rank of each package (or top-level module): a module may import its own package or a
#: lower rank, never a higher or an equal one of another package. Named in DESIGN.md:
#: operations -> scoring/training -> models; nothing imports cli or operations.
RANKS: dict[str, int] = {
    "errors": 0,
    "defaults": 0,
    "config": 1,
    "contracts": 1,
    "faults": 1,
    "warehouse": 2,
    "dbt_plugin": 2,
    "synth": 3,
    "ingest": 3,
    "transform": 3,
    "queries": 3,
    "evaluation": 3,
    "models": 4,
    "scoring": 5,
    "serving": 5,
    "uplift": 5,
    "training": 6,
    "campaigns": 6,
    "reporting": 7,
    "operations": 8,
    "cli": 9,
    "console": 10,
    "__main__": 11,
}


def module_name(path: Path) -> str:
    parts = ("guestloyalty", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SRC.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The guestloyalty modules that ``path`` imports, wherever the import statement sits."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import mod`` imports the submodule pkg.mod when there is one
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            # a module's own packages are imported before it anyway: not an edge
            if target and not (name == target or name.startswith(target + ".")):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_graph_sees_function_level_and_type_checking_imports():
    graph = import_graph()
    # cli imports the pipeline inside its command functions only
    assert "guestloyalty.operations.pipeline" in graph["guestloyalty.cli"]
    # ingest's loader reads the suppression list at module level
    assert "guestloyalty.ingest.suppressions" in graph["guestloyalty.ingest.loader"]


def test_find_cycle_reports_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_every_package_has_a_rank():
    packages = {package_of(name) for name in modules()} - {"__init__"}
    assert packages <= set(RANKS), f"add to RANKS: {sorted(packages - set(RANKS))}"


def test_imports_point_down():
    upward = []
    for module, targets in import_graph().items():
        source = package_of(module)
        if source == "__init__":
            continue
        for target in targets:
            goal = package_of(target)
            if goal in (source, "__init__"):
                continue
            if RANKS[goal] >= RANKS[source]:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that do not point down:\n" + "\n".join(sorted(upward))


@pytest.mark.parametrize("top", ["cli", "operations"])
def test_nothing_imports_cli_or_operations(top):
    outside = [
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if package_of(target) == top
        and package_of(module) not in (top, "cli", "console", "__main__")
    ]
    assert not outside, "\n".join(outside)
