"""The layout holds its shape: imports go one way (cli -> capabilities -> gate and core -> kernel), no
module imports itself back through others, and the README's map names exactly the modules there are.

Imports are read from the source (every ``import`` statement, those inside functions included), so a
cycle hidden in a lazy import counts as a cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "certify"

#: the layers, lowest first; a module may import from its own layer's package and from lower layers
KERNEL, CORE, GATE, CAPABILITY, TOP = range(5)
CAPABILITIES = ("instance", "optimum", "fuzz", "experiments", "followup", "proofs")


def _module_name(path: Path) -> str:
    if path.is_relative_to(ROOT / "proofs"):
        parts = ["certify", "proofs", *path.relative_to(ROOT / "proofs").with_suffix("").parts]
    else:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts
             and not p.relative_to(PACKAGE).parts[0] in ("proofs", "data")]
    files += list((ROOT / "proofs").glob("*.py"))
    return {_module_name(p): p for p in sorted(files)}


MODULES = _sources()


def _imports(name: str, path: Path) -> set[str]:
    """The certify modules ``name`` imports (``from certify.x import y`` counts as certify.x.y when that
    is a module, else as certify.x)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and _dynamic_import(node):
            targets = [node.args[0].value]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        out.update(t for t in targets if t.split(".")[0] == "certify" and t != name)
    return out


def _dynamic_import(node: ast.Call) -> bool:
    """``importlib.import_module("certify...")`` or ``__import__("certify...")`` with a constant name (a
    name computed at run time, such as a claim's check, cannot be read here)."""
    f = node.func
    named = (isinstance(f, ast.Attribute) and f.attr == "import_module") or \
        (isinstance(f, ast.Name) and f.id in ("import_module", "__import__"))
    return named and bool(node.args) and isinstance(node.args[0], ast.Constant) and \
        isinstance(node.args[0].value, str)


GRAPH = {name: {m for m in _imports(name, path) if m in MODULES} for name, path in MODULES.items()}


def layer(name: str) -> tuple[int, str]:
    """(layer, package) of a module; the package is what a capability may share freely inside."""
    parts = name.split(".")
    if name == "certify":
        return KERNEL, "certify"  # the version string and nothing else: importable from anywhere
    head = parts[1]
    if head == "kernel":
        return KERNEL, head
    if head == "core":
        return CORE, head
    if head == "gate":
        return GATE, head
    if head in CAPABILITIES:
        return CAPABILITY, head
    return TOP, head  # cli, __main__, strategies


def test_every_module_has_a_layer_and_a_docstring():
    for name, path in MODULES.items():
        if layer(name)[0] == TOP:
            assert name in ("certify.cli", "certify.__main__", "certify.strategies", "certify.instances"), name
        assert ast.get_docstring(ast.parse(path.read_text())), f"{name} says nothing about what it owns"


def test_the_package_root_holds_few_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top


def test_the_kernel_imports_nothing_else_from_certify():
    for name, deps in GRAPH.items():
        if layer(name)[1] == "kernel":
            assert all(d.startswith("certify.kernel") for d in deps), (name, deps)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_the_layers(name):
    mine, package = layer(name)
    if name == "certify.__main__":
        assert GRAPH[name] == {"certify.cli"}
        return
    for dep in GRAPH[name]:
        theirs, their_package = layer(dep)
        assert theirs < mine or their_package == package or (mine == theirs == CAPABILITY), \
            f"{name} (layer {mine}) imports {dep} (layer {theirs})"
        assert theirs != TOP, f"{name} imports the command line layer ({dep})"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_module_imports_itself_back():
    assert _cycles(GRAPH) == []


def test_the_capabilities_do_not_import_each_other_in_a_circle():
    packages: dict[str, set[str]] = {}
    for name, deps in GRAPH.items():
        mine = layer(name)[1]
        packages.setdefault(mine, set()).update(layer(d)[1] for d in deps if layer(d)[1] != mine)
    assert _cycles(packages) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _readme_map() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block, "the README's Architecture section has no map"
    names: set[str] = set()
    folder: list[str] = []
    for line in block.group(1).splitlines():
        m = re.match(r"^(\s*)(\S+\.py|\S+/)", line)
        if not m:
            continue
        depth = len(m.group(1)) // 2
        folder = folder[:depth]
        entry = m.group(2)
        if entry.endswith("/"):
            folder.append(entry.rstrip("/"))
        else:
            names.add("/".join([*folder, entry]))
    return names


def test_the_readme_map_matches_the_tree():
    on_disk = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")
               if "__pycache__" not in p.parts and p.name != "__init__.py"
               and p.relative_to(PACKAGE).parts[0] not in ("proofs", "data")}
    in_map = _readme_map()
    assert in_map == on_disk, {"only in the README": sorted(in_map - on_disk),
                               "only on disk": sorted(on_disk - in_map)}
