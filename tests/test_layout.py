"""The house: the Lambda's package imports nothing of the tools or the preview, its modules
import each other without loops (lazy imports included), and a cold handler import loads no
tools."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from tests.conftest import python_report

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sender", "sendertools", "preview")


def _imports(package: str) -> dict[str, set[str]]:
    """Every module of ``package`` and the project names it imports, anywhere in its code:
    ``from a import b`` gives ``a.b`` (a module or a name of ``a``), ``import a`` gives ``a``."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found |= {n for n in names if n.split(".")[0] in PACKAGES}
        graph[module] = found
    return graph


def _resolve(graph: dict[str, set[str]], name: str) -> str | None:
    """``name`` as a module of the graph (``a.b`` is module ``a.b``, or a name in ``a``)."""
    while name and name not in graph:
        name = name.rpartition(".")[0]
    return name or None


def _edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Module to the modules it imports; a package a module is part of is initialised before
    it anyway, so that is no edge."""
    return {
        m: {
            r
            for n in imported
            if (r := _resolve(graph, n)) and r != m and not m.startswith(f"{r}.")
        }
        for m, imported in graph.items()
    }


def test_the_lambda_package_imports_neither_the_tools_nor_the_preview() -> None:
    for module, imported in _imports("sender").items():
        foreign = {n for n in imported if n.split(".")[0] != "sender"}
        assert not foreign, f"{module} imports {sorted(foreign)}"


def test_the_tools_never_import_the_preview() -> None:
    for module, imported in _imports("sendertools").items():
        assert not {n for n in imported if n.startswith("preview")}, module


def _loop(edges: dict[str, set[str]]) -> list[str] | None:
    """A path that comes back to where it started, if the graph has one (depth first)."""
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for nxt in sorted(edges[module]):
            if state.get(nxt) == 1:
                return [*path, module, nxt]
            if nxt not in state and (found := visit(nxt, [*path, module])):
                return found
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module, [])):
            return found
    return None


def test_no_module_of_a_package_imports_itself_back() -> None:
    for package in PACKAGES:
        loop = _loop(_edges(_imports(package)))
        assert loop is None, " -> ".join(loop or [])


def test_a_loop_is_found() -> None:
    assert _loop({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _loop({"a": {"b"}, "b": set()}) is None


def test_importing_the_handler_loads_nothing_of_the_tools() -> None:
    report = python_report(
        "-c",
        "import json, sys; import sender.handler; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sendertools', 'preview'))))",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        interpreter=sys.executable,
    )
    assert report == []
