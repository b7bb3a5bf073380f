"""The import graph runs one way: core, then the apps in their stated order.

Every ``import`` in the product's code counts, those inside functions included (a
function-level import hides a cycle, it does not remove it). Tests are left out:
they may use anything. A lower app that must cause work in a higher one uses a hook
the higher one registers (``marketplace.hooks``, ``generations.queue``).
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

# Lowest first. An app may import itself and anything before it, nothing after it.
IMPORT_ORDER = [
    "modelsnapper",
    "accounts",
    "billing",
    "marketplace",
    "generations",
    "payouts",
    "home",
]
ROOT = Path(settings.BASE_DIR)


def _product_modules() -> dict[str, Path]:
    modules = {}
    for package in IMPORT_ORDER:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "tests" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports, anywhere in the file, with its line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = _product_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    against_the_order = []
    rank = {package: index for index, package in enumerate(IMPORT_ORDER)}
    for name, path in modules.items():
        for target, line in _imports(name, path):
            top = target.split(".")[0]
            if top in rank and rank[top] > rank[name.split(".")[0]]:
                against_the_order.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
            if target in modules and target != name:
                graph[name].add(target)
    return graph, sorted(set(against_the_order))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_app_is_in_the_stated_order_and_installed():
    project_apps = [
        app.split(".")[0] for app in settings.INSTALLED_APPS if app.split(".")[0] in IMPORT_ORDER
    ]
    assert sorted(set(project_apps)) == sorted(IMPORT_ORDER)


def test_no_module_imports_an_app_above_its_own():
    _, against_the_order = _graph()
    assert against_the_order == []


def test_the_import_graph_has_no_cycle():
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_the_checker_sees_function_level_imports_and_cycles(tmp_path):
    """The check itself can fail: an import inside a function, and a two-module cycle."""
    module = tmp_path / "lower.py"
    module.write_text("def f():\n    from generations.services import x\n")
    assert ("generations.services", 2) in _imports("accounts.lower", module)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
