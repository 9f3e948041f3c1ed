"""The server's layout: its packages import one another without a cycle, and the engine stands
alone.

Two packages in a cycle can be neither read, tested nor moved one without the other, and a new
import that closes a cycle is easy to write without noticing: this reads every module's imports
(with ``ast``, importing nothing) and fails naming the cycle and the lines that make it. The
nodes are the subpackages of ``avatar_server`` (``api``, ``db``, ``engine``, ``jobs``,
``processes``, ...) and its root modules (``settings``, ``storage``, ``runtime``, ``spec``, ...;
``avatar_server`` itself for its ``__init__``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import avatar_server

PACKAGE = "avatar_server"
ROOT = Path(avatar_server.__file__).parent


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module, or ``package.name`` for ``from package import name``
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[Import]:
    """Every import in the file, at any depth (in functions and ``TYPE_CHECKING`` blocks too:
    they are dependencies all the same), relative ones resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        where = f"{path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, where) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [Import(module, f"{base}.{alias.name}", where) for alias in node.names]
    return found


def _node(module: str) -> str:
    """The layout node ``module`` (or ``package.name`` of a ``from`` import) belongs to."""
    parts = module.split(".")
    if len(parts) == 1:
        return PACKAGE
    child = ROOT / parts[1]
    if child.is_dir() or child.with_suffix(".py").exists():
        return parts[1]
    return PACKAGE  # a name defined in avatar_server/__init__.py (``__version__``)


def _server_imports() -> list[Import]:
    return [found for path in sorted(ROOT.rglob("*.py")) for found in _imports(path)]


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as ``[a, b, ..., a]``, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for successor in sorted(edges.get(node, ())):
            if (cycle := visit(successor)) is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(edges):
        if (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_finder_sees_a_cycle() -> None:
    """The check below can fail: a graph with a cycle is reported with it."""
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) is None


def test_server_packages_import_one_another_without_a_cycle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    reasons: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for found in _server_imports():
        if found.target.split(".")[0] != PACKAGE:
            continue
        source, target = _node(found.source), _node(found.target)
        if source != target:
            edges[source].add(target)
            reasons[source, target].append(found)
    assert "engine" in edges["jobs"], "the walker missed imports every version has"
    cycle = _find_cycle(edges)
    if cycle is not None:
        # One line per import statement (``from x import a, b`` is two imports).
        lines = {
            found.where: str(found)
            for source, target in pairwise(cycle)
            for found in reasons[source, target]
        }
        raise AssertionError(
            "import cycle between avatar_server's packages: "
            + " -> ".join(cycle)
            + "\n"
            + "\n".join(lines.values())
        )


def test_the_engine_imports_nothing_of_the_server_nor_avatar_yaml() -> None:
    """The engine runs wherever a job runs (a worker process, a Dask worker): DataFrames and
    plain values in and out, nothing of the server, nor the run format it is configured from."""
    outside = [
        str(found)
        for found in _server_imports()
        if _node(found.source) == "engine"
        and (
            found.target.split(".")[0] == "avatar_yaml"
            or (found.target.split(".")[0] == PACKAGE and _node(found.target) != "engine")
        )
    ]
    assert outside == [], "the engine imports:\n" + "\n".join(outside)
