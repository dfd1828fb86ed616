"""The code's shape: imports between the project's modules flow one way (no cycles; app → handlers → services
→ models; a feature's handlers never import another feature's; services know nothing of Telegram), and no
module over 600 lines or function over 40 (`python -m tests.test_layout` prints the longest)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers")
LONG_MODULE = 600
LONG_FUNCTION = 40

Graph = dict[str, set[str]]


def module_files(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of the given packages by its dotted name (a package by its own name)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_modules(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The project modules one module imports, wherever the import statement stands (functions included)."""
    known = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            # `from handlers import drafts` runs the package's __init__ as well as the module: both count.
            if source in known:
                found.add(source)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    found.add(submodule)
    found.discard(name)
    return found


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> Graph:
    """Which project module imports which."""
    files = module_files(root, packages)
    return {name: imported_modules(name, path, files) for name, path in files.items()}


def cycles(graph: Graph) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan's strongly connected
    components of more than one module)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return sorted(found)


def describe_cycle(graph: Graph, component: list[str]) -> str:
    """One cycle for a failure message: its modules, each with the ones it imports inside the cycle."""
    members = set(component)
    lines = [f"{len(component)} modules import each other:"]
    lines += [f"  {module} -> {', '.join(sorted(graph[module] & members))}" for module in component]
    return "\n".join(lines)


def long_modules(files: dict[str, Path], limit: int = LONG_MODULE) -> list[tuple[int, str]]:
    """Modules over the limit, longest first, with their line counts."""
    sizes = ((len(path.read_text(encoding="utf-8").splitlines()), name) for name, path in files.items())
    return sorted((size for size in sizes if size[0] > limit), reverse=True)


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    """Every function and method with its qualified name, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from functions(node, f"{name}.")
        else:
            yield from functions(node, prefix)


def long_functions(files: dict[str, Path], limit: int = LONG_FUNCTION) -> list[tuple[int, str]]:
    """Functions over the limit (from `def` to their last line), longest first, as `module:qualified.name`."""
    found = []
    for module, path in files.items():
        for name, node in functions(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                found.append((length, f"{module}:{name}"))
    return sorted(found, reverse=True)


def size_report(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> str:
    """The long modules and long functions, one per line, to measure each step of splitting them."""
    files = module_files(root, packages)
    modules, funcs = long_modules(files), long_functions(files)
    lines = [f"{len(modules)} modules over {LONG_MODULE} lines:"]
    lines += [f"  {size:5d}  {name}" for size, name in modules]
    lines.append(f"{len(funcs)} functions over {LONG_FUNCTION} lines:")
    lines += [f"  {size:5d}  {name}" for size, name in funcs]
    return "\n".join(lines)


def test_imports_between_the_project_modules_flow_one_way():
    graph = import_graph()
    found = cycles(graph)
    assert found == [], "\n".join(describe_cycle(graph, component) for component in found)


def test_the_import_check_sees_package_forms_and_imports_inside_functions(tmp_path):
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "till.py").write_text("from shop import stock\n")
    (package / "stock.py").write_text("def restock():\n    import shop.till\n")
    (package / "price.py").write_text("from shop.stock import restock\nfrom .till import *\n")
    graph = import_graph(tmp_path, ["shop"])
    assert graph["shop.price"] == {"shop.stock", "shop.till"}
    assert cycles(graph) == [["shop.stock", "shop.till"]]


def test_long_modules_and_functions_are_reported(tmp_path):
    print(size_report())
    package = tmp_path / "farm"
    package.mkdir()
    sow = "    def sow(self):\n" + "".join(f"        x = {n}\n" for n in range(39)) + "        return x\n"
    water = "def water():\n" + "".join(f"    x = {n}\n" for n in range(39))
    (package / "plots.py").write_text("class Plot:\n" + sow + "\n\n" + water)
    files = module_files(tmp_path, ["farm"])
    assert long_functions(files) == [(41, "farm.plots:Plot.sow")]
    assert long_modules(files, limit=83) == [(84, "farm.plots")]
    assert long_modules(files, limit=84) == []


FEATURES = ("registration", "events", "surveys", "groups", "consultations", "outreach", "eventreport")


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "handlers" and parts[1] in FEATURES else None


def test_no_module_or_function_is_too_long():
    files = module_files()
    assert long_modules(files) == [], size_report()
    assert long_functions(files) == [], size_report()


def test_a_feature_uses_shared_pieces_never_another_features_handlers():
    crossings = sorted(f"{module} imports {target}" for module, targets in import_graph().items()
                       for target in targets
                       if feature_of(module) and feature_of(target) and feature_of(target) != feature_of(module))
    assert crossings == []


def test_imports_go_from_the_app_to_handlers_to_services_to_models():
    graph = import_graph()
    wrong = []
    for module, targets in graph.items():
        for target in targets:
            if module.startswith(("bot.services", "bot.models")) and target.startswith("handlers"):
                wrong.append(f"{module} imports {target}")
            if module.startswith("bot.models") and target.startswith("bot.services"):
                wrong.append(f"{module} imports {target}")
            if module.startswith("handlers") and target in ("bot.app", "bot.cli", "bot.runner"):
                wrong.append(f"{module} imports {target}")
    assert sorted(wrong) == []


def test_services_and_models_know_nothing_of_telegram():
    files = module_files()
    talking = []
    for name, path in files.items():
        if name.startswith(("bot.services", "bot.models")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                talking += [f"{name} imports {n}" for n in names if n.split(".")[0] == "telegram"]
    assert talking == []


if __name__ == "__main__":
    print(size_report())
