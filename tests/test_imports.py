"""The package's import graph: no module imports another that imports it back, whether
at the top or inside a function (a lazy import still ties the two modules together), and
no subpackage imports a module or subpackage that imports it back (``purenn.viz`` is
what ``purenn.plot`` draws with: nothing in viz may import plot)."""

import ast
import os
import subprocess
import sys

import purenn

PACKAGE_DIR = os.path.dirname(os.path.abspath(purenn.__file__))


def module_files():
    """{dotted module name: path} of every module of the package."""
    found = {}
    for folder, dirs, files in os.walk(PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        rel = os.path.relpath(folder, PACKAGE_DIR)
        package = "purenn" if rel == "." else "purenn." + rel.replace(os.sep, ".")
        for name in sorted(files):
            if name.endswith(".py"):
                module = package if name == "__init__.py" else f"{package}.{name[:-3]}"
                found[module] = os.path.join(folder, name)
    return found


def imports_of(module, path, modules):
    """The package's modules that ``module`` imports anywhere in its file."""
    is_package = path.endswith("__init__.py")
    base = module if is_package else module.rsplit(".", 1)[0]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                origin = f"{parent}.{node.module}" if node.module else parent
            else:
                origin = node.module
            targets.add(origin)
            targets.update(f"{origin}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in modules and t != module}


# edges allowed to close a cycle (none: keep it that way)
KNOWN = set()


def import_graph(known=KNOWN):
    modules = module_files()
    graph = {m: imports_of(m, path, modules) for m, path in modules.items()}
    for a, b in known:
        graph[a].discard(b)
    return graph


def find_cycle(graph):
    """One cycle of ``graph`` as a list of modules, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, stack)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def test_the_graph_sees_the_modules_and_their_imports():
    graph = import_graph()
    assert {"purenn.network", "purenn.spec", "purenn.commands.train",
            "purenn.formats.npy"} <= set(graph)
    assert "purenn.network" in graph["purenn.spec"]
    assert "purenn.linalg" in graph["purenn.layers"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_imports_another_that_imports_it_back():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def package_graph(graph):
    """``graph`` with each subpackage's modules taken as one node (``purenn.viz``); the
    top-level modules stay themselves."""
    subpackages = {m for m, path in module_files().items()
                   if path.endswith("__init__.py") and m != "purenn"}

    def node(module):
        top = ".".join(module.split(".")[:2])
        return top if top in subpackages else module

    collapsed = {}
    for module, targets in graph.items():
        edges = collapsed.setdefault(node(module), set())
        edges.update(node(t) for t in targets if node(t) != node(module))
    return collapsed


def test_package_graph_collapses_subpackages():
    graph = package_graph({"purenn.viz.charts": {"purenn.plot", "purenn.viz.figure"},
                           "purenn.plot": {"purenn.viz.render"},
                           "purenn.viz.render": set(), "purenn.viz.figure": set()})
    assert graph == {"purenn.viz": {"purenn.plot"}, "purenn.plot": {"purenn.viz"}}
    assert find_cycle(graph) == ["purenn.plot", "purenn.viz", "purenn.plot"]


def test_no_package_imports_one_that_imports_it_back():
    cycle = find_cycle(package_graph(import_graph()))
    assert cycle is None, " -> ".join(cycle)


def test_every_module_imports_in_a_fresh_interpreter():
    modules = sorted(m for m in module_files() if m != "purenn.__main__")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PACKAGE_DIR))
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)"
    result = subprocess.run([sys.executable, "-c", code, *modules], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
