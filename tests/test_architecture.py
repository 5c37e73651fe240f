"""Architecture checks on src/dispatchopt, read with ``ast`` (nothing is imported).

- no import cycle between modules (top-level, function-level and TYPE_CHECKING imports,
  relative imports resolved);
- layering: domain/ imports nothing of dispatchopt but errors; nothing imports cli/ (except
  ``__main__``); ``ortools`` only under solvers/; the verifier reaches no solver, timing, live,
  objective, experiments or cli code, not even through other modules;
- no module over 600 lines; no function over 80 lines unless its def line, or the line above
  it (or above its first decorator), carries ``# long: <why>``;
- a private name ``_x`` of one module is not imported or used by another module;
- only the cli/ package prints; no ``datetime.now()`` / ``date.today()`` in src/ or tests/;
  test file basenames are unique across tests/ (there are no ``__init__.py`` files there).

The first tests run the checkers on tiny hand-made packages, so a checker that cannot fail
fails here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "dispatchopt"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
LONG_COMMENT = re.compile(r"#\s*long:\s*\S")


@dataclass
class Module:
    name: str                 # dotted name; a package is named by its __init__
    path: Path
    is_package: bool
    tree: ast.Module
    lines: list[str]
    imports: list[tuple[str, int]] = field(default_factory=list)            # (module, line)
    external: list[tuple[str, int]] = field(default_factory=list)           # top-level names
    private_uses: list[tuple[str, str, int]] = field(default_factory=list)  # (module, name, line)


def load_modules(root: Path, package: str = PACKAGE) -> dict[str, Module]:
    """Every module of ``root / package``, with its resolved imports."""
    modules: dict[str, Module] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        text = path.read_text(encoding="utf-8")
        modules[".".join(parts)] = Module(".".join(parts), path, is_package,
                                          ast.parse(text, filename=str(path)), text.splitlines())
    for module in modules.values():
        _resolve_imports(module, modules, package)
    return modules


def _base_of(module: Module, level: int) -> str:
    parts = module.name.split(".")
    if not module.is_package:
        parts = parts[:-1]
    return ".".join(parts[: len(parts) - (level - 1)] if level > 1 else parts)


def _known(name: str, modules: dict[str, Module]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def _resolve_imports(module: Module, modules: dict[str, Module], package: str) -> None:
    bound: dict[str, str] = {}     # local name -> our module it names (for attribute access)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != package:
                    module.external.append((alias.name.split(".")[0], node.lineno))
                    continue
                target = _known(alias.name, modules)
                if target is not None:
                    module.imports.append((target, node.lineno))
                    if alias.asname:
                        bound[alias.asname] = target
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _base_of(module, node.level)
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if source.split(".")[0] != package:
                module.external.append((source.split(".")[0], node.lineno))
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    module.imports.append((submodule, node.lineno))
                    bound[alias.asname or alias.name] = submodule
                    continue
                target = _known(source, modules)
                if target is not None:
                    module.imports.append((target, node.lineno))
                    if _is_private(alias.name) and target != module.name:
                        module.private_uses.append((target, alias.name, node.lineno))
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in bound and _is_private(node.attr) \
                and bound[node.value.id] != module.name:
            module.private_uses.append((bound[node.value.id], node.attr, node.lineno))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def graph_of(modules: dict[str, Module]) -> dict[str, set[str]]:
    return {m.name: {target for target, _ in m.imports if target != m.name} for m in modules.values()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> ... -> a) per strongly connected component with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def strongconnect(start: str) -> None:      # iterative Tarjan
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return [_cycle_in(graph, component) for component in components if len(component) > 1]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth first)."""
    start = min(component)
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & component):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return list(reversed(path)) + [start]
                if child not in parent:
                    parent[child] = node
                    nxt.append(child)
        frontier = nxt
    raise AssertionError(f"no cycle in component {sorted(component)}")  # pragma: no cover


def reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module ``start`` reaches -> the module that imports it on the first path found."""
    seen: dict[str, str] = {}
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for child in sorted(graph.get(node, ())):
            if child not in seen and child != start:
                seen[child] = node
                frontier.append(child)
    return seen


def _path(parents: dict[str, str], start: str, target: str) -> str:
    path = [target]
    while path[-1] != start:
        path.append(parents[path[-1]])
    return " -> ".join(reversed(path))


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def layering_errors(modules: dict[str, Module], package: str = PACKAGE) -> list[str]:
    errors = []
    domain, cli = f"{package}.domain", f"{package}.cli"
    allowed_in_domain = {f"{package}.errors"}
    for m in modules.values():
        for target, line in m.imports:
            where = f"{m.name}:{line} imports {target}"
            if _in(m.name, domain) and not _in(target, domain) and target not in allowed_in_domain:
                errors.append(f"domain imports beyond errors: {where}")
            if _in(target, cli) and not _in(m.name, cli) and m.name != f"{package}.__main__":
                errors.append(f"cli/ imported from below: {where}")
        for name, line in m.external:
            if name == "ortools" and not _in(m.name, f"{package}.solvers"):
                errors.append(f"ortools imported outside solvers/: {m.name}:{line}")
    verifier = f"{package}.audit.verify"
    if verifier in modules:
        graph = graph_of(modules)
        parents = reachable(graph, verifier)
        banned = [f"{package}.{p}" for p in ("solvers", "timing", "live", "objective", "experiments", "cli")]
        for target in sorted(parents):
            if any(_in(target, b) for b in banned):
                errors.append(f"the verifier reaches {target}: {_path(parents, verifier, target)}")
    return errors


def size_errors(modules: dict[str, Module]) -> list[str]:
    errors = []
    for m in modules.values():
        if len(m.lines) > MAX_MODULE_LINES:
            errors.append(f"{m.name}: {len(m.lines)} lines (> {MAX_MODULE_LINES})")
        for node in ast.walk(m.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = node.end_lineno - node.lineno + 1
            if length <= MAX_FUNCTION_LINES:
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            marked = [node.lineno, node.lineno - 1, first - 1]
            if any(LONG_COMMENT.search(m.lines[i - 1]) for i in marked if i >= 1):
                continue
            errors.append(f"{m.name}.{node.name} (line {node.lineno}): {length} lines "
                          f"(> {MAX_FUNCTION_LINES}, no '# long: <why>' comment)")
    return errors


def private_errors(modules: dict[str, Module]) -> list[str]:
    return [f"{m.name}:{line} uses {name} of {target}"
            for m in modules.values() for target, name, line in m.private_uses]


def print_errors(modules: dict[str, Module], package: str = PACKAGE) -> list[str]:
    """``print(...)`` outside the cli/ package (the library logs, only cli/ prints)."""
    return [f"{m.name}:{node.lineno} prints" for m in modules.values() if not _in(m.name, f"{package}.cli")
            for node in ast.walk(m.tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"]


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def clock_errors(paths: list[Path]) -> list[str]:
    """Reading the wall clock's date or time (``datetime.now()``, ``utcnow()``, ``date.today()``):
    time is an argument."""
    errors = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name = _dotted(node.func)
            owner = name.rsplit(".", 2)[-2] if name.count(".") else ""
            if (node.func.attr in ("now", "utcnow") and owner in ("datetime", "dt", "Timestamp")) \
                    or (node.func.attr == "today" and owner in ("date", "datetime", "Timestamp")):
                errors.append(f"{path.name}:{node.lineno} calls {name}()")
    return errors


# -- the checkers can fail ------------------------------------------------------------------
def _write(root: Path, files: dict[str, str]) -> dict[str, Module]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_modules(root, "pkg")


def test_checker_finds_a_cycle_through_relative_lazy_and_type_checking_imports(tmp_path):
    modules = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from . import b\n",
        "pkg/b.py": "def f():\n    from .sub.c import g\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import x\n",
        "pkg/d.py": "from .a import y\n",
    })
    cycles = find_cycles(graph_of(modules))
    assert cycles == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]


def test_checker_finds_no_cycle_in_a_tree(tmp_path):
    modules = _write(tmp_path, {"pkg/__init__.py": "from .a import x\n", "pkg/a.py": "import pkg.b\n",
                                "pkg/b.py": "import os\n"})
    assert find_cycles(graph_of(modules)) == []
    assert modules["pkg.a"].imports == [("pkg.b", 1)]


def test_checker_finds_layering_breaks(tmp_path):
    modules = _write(tmp_path, {
        "pkg/__init__.py": "", "pkg/errors.py": "", "pkg/rules.py": "",
        "pkg/domain/__init__.py": "from .. import errors\nfrom ..rules import r\n",
        "pkg/cli/__init__.py": "", "pkg/plan.py": "from .cli import main\n",
        "pkg/travel.py": "import ortools.constraint_solver\n",
        "pkg/solvers/__init__.py": "from ortools.sat.python import cp_model\n",
        "pkg/audit/__init__.py": "", "pkg/audit/verify.py": "from ..plan import P\n",
        "pkg/timing.py": "",
    })
    errors = layering_errors(modules, "pkg")
    assert any("domain imports beyond errors" in e and "pkg.rules" in e for e in errors)
    assert any("cli/ imported from below" in e and "pkg.plan" in e for e in errors)
    assert any("ortools imported outside solvers/" in e and "pkg.travel" in e for e in errors)
    assert any("verifier reaches pkg.cli: pkg.audit.verify -> pkg.plan -> pkg.cli" in e for e in errors)
    assert not any("pkg.solvers" in e for e in errors)
    assert len(errors) == 4


def test_checker_finds_long_modules_and_unmarked_long_functions(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    modules = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": f"def long_one():\n{body}\n# long: a table\ndef marked():\n{body}\n"
                    f"def short():\n    pass\n",
        "pkg/b.py": "\n" * (MAX_MODULE_LINES + 1),
    })
    errors = size_errors(modules)
    assert len(errors) == 2
    assert any("pkg.a.long_one" in e for e in errors)
    assert any(e.startswith("pkg.b:") for e in errors)


def test_checker_finds_private_names_used_across_modules(tmp_path):
    modules = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "_x = 1\ndef _f():\n    return _x\n",
        "pkg/b.py": "from .a import _f\nfrom . import a\ny = a._x\nz = a.__name__\n",
        "pkg/c.py": "from . import _priv\n",
        "pkg/_priv.py": "",
    })
    errors = private_errors(modules)
    assert sorted(errors) == ["pkg.b:1 uses _f of pkg.a", "pkg.b:3 uses _x of pkg.a"]


def test_checker_finds_prints_outside_cli_and_wall_clock_reads(tmp_path):
    modules = _write(tmp_path, {
        "pkg/__init__.py": "", "pkg/cli/__init__.py": "print('ok')\n",
        "pkg/a.py": "import datetime as dt\ndef f(log):\n    print('x')\n    log.info('y')\n"
                    "    return dt.datetime.now(), dt.date.today(), dt.datetime.fromisoformat('2026-01-01')\n",
    })
    assert print_errors(modules, "pkg") == ["pkg.a:3 prints"]
    assert clock_errors([modules["pkg.a"].path]) == ["a.py:5 calls dt.datetime.now()",
                                                     "a.py:5 calls dt.date.today()"]


# -- the package ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    found = load_modules(SRC)
    assert f"{PACKAGE}.audit.verify" in found and len(found) > 30
    return found


def test_no_import_cycle(modules):
    cycles = find_cycles(graph_of(modules))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_layering(modules):
    errors = layering_errors(modules)
    assert not errors, "\n".join(errors)


def test_module_and_function_sizes(modules):
    errors = size_errors(modules)
    assert not errors, "\n".join(errors)


def test_no_private_name_used_across_modules(modules):
    errors = private_errors(modules)
    assert not errors, "\n".join(errors)


def test_only_cli_prints(modules):
    errors = print_errors(modules)
    assert not errors, "\n".join(errors)


def test_no_wall_clock_reads_in_library_or_tests():
    tests = Path(__file__).resolve().parent
    paths = sorted((SRC / PACKAGE).rglob("*.py")) + sorted(tests.rglob("*.py"))
    errors = clock_errors(paths)
    assert not errors, "\n".join(errors)


def test_test_file_basenames_are_unique():
    tests = Path(__file__).resolve().parent
    seen: dict[str, list[str]] = {}
    for path in tests.rglob("test_*.py"):
        seen.setdefault(path.name, []).append(str(path.relative_to(tests)))
    doubles = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not doubles, doubles
