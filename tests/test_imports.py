"""Imports flow one way: core -> layers -> checkpoints -> models -> whole-model I/O
-> applications -> tasks, and the folders show it.

Every `import` in the package, at module level or inside a function, is an
edge; an edge to a higher layer or any cycle between modules fails, naming
the modules. The source is read, not imported, so a function-level import
that a test never calls still counts.
"""

import ast
import os

from tests.testing import TestCase

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keras_mlp")

# Lowest first: every folder of the package, and every module at its root, is in
# exactly one layer. A module's layer is its folder's, so a module cannot be filed
# under a layer its folder does not show.
LAYERS = (
    ("core", ("validation", "atomic", "version", "data")),
    ("layers", ("layers",)),
    # Checkpoint formats, readers, records and key tables: a key table knows the
    # variables of the layers it fills.
    ("checkpoints", ("weights",)),
    ("models", ("models",)),
    ("whole-model I/O", ("model_io",)),
    ("applications", ("training", "export", "cli")),
    ("tasks", ("classification", "segmentation", "face", "detection")),
    ("public API", ("__init__",)),
)
ROOT_MODULES = {"__init__", "validation", "atomic", "version"}


def layer_of(module):
    """`(rank, layer name)` of a module, from its top-level folder (or root module)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    for rank, (name, members) in enumerate(LAYERS):
        if top in members:
            return rank, name
    raise AssertionError(f"{module}: keras_mlp/{top} is in no layer: add it to LAYERS in {__file__}.")


def package_modules():
    """`{module: path}` of every module of the package."""
    modules = {}
    for folder, _, files in os.walk(PACKAGE_DIR):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                parts = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts.pop()
                modules[".".join(parts)] = path
    return modules


def imported_modules(module, path, modules):
    """The package's modules that `module` imports, anywhere in its source."""
    is_package = path.endswith("__init__.py")
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + is_package]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            # `from package import module` imports the module.
            names = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    found.discard(module)
    return found


def import_graph():
    modules = package_modules()
    return {module: imported_modules(module, path, modules) for module, path in modules.items()}


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


class ImportDirectionTest(TestCase):
    def test_no_import_goes_up_a_layer(self):
        upward = []
        for module, targets in sorted(import_graph().items()):
            rank, layer = layer_of(module)
            for target in sorted(targets):
                target_rank, target_layer = layer_of(target)
                if target_rank > rank:
                    upward.append(f"{module} ({layer}) imports {target} ({target_layer})")
        self.assertEqual(upward, [], "imports that go up a layer:\n" + "\n".join(upward))

    def test_no_import_cycle(self):
        self.assertEqual(cycles(import_graph()), [])

    def test_the_package_root_holds_only_the_api_and_core_helpers(self):
        root = {
            entry[:-3]
            for entry in os.listdir(PACKAGE_DIR)
            if entry.endswith(".py")
        }
        self.assertEqual(root - ROOT_MODULES, set(), "modules at the package root that belong in a package")

    def test_every_folder_is_in_one_layer(self):
        folders = {
            entry
            for entry in os.listdir(PACKAGE_DIR)
            if os.path.isfile(os.path.join(PACKAGE_DIR, entry, "__init__.py"))
        }
        members = [member for _, layer_members in LAYERS for member in layer_members]
        self.assertLen(members, len(set(members)))
        self.assertEqual(folders | ROOT_MODULES, set(members))

    def test_the_checks_see_function_level_imports(self):
        found = imported_modules(
            "keras_mlp.weights.example",
            self.write_module("def f():\n    from keras_mlp.models import registry\n"),
            {"keras_mlp.models.registry": ""},
        )
        self.assertEqual(found, {"keras_mlp.models.registry"})
        self.assertEqual(layer_of("keras_mlp.models.registry")[1], "models")
        self.assertEqual(cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}), [["a", "b", "c"]])


    def write_module(self, source):
        path = os.path.join(self.get_temp_dir(), "example.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        return path


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
