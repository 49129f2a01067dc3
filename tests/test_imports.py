"""Imports flow one way: core -> layers -> models -> whole-model I/O -> applications.

Every `import` in the package, at module level or inside a function, is an
edge; an edge to a higher layer or any cycle between modules fails, naming
the modules. The source is read, not imported, so a function-level import
that a test never calls still counts.
"""

import ast
import fnmatch
import os

from tests.testing import TestCase

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keras_mlp")

# Lowest first. A module belongs to the longest prefix (or pattern) that names it. The
# model-name registry imports nothing: families fill it, and the pretrained
# registry below them asks it whether a name exists.
LAYERS = (
    (
        "core",
        (
            "keras_mlp.version", "keras_mlp.validation", "keras_mlp.atomic", "keras_mlp.data",
            "keras_mlp.weights", "keras_mlp.models.registry",
        ),
    ),
    ("layers", ("keras_mlp.layers",)),
    # A family's key tables belong to the family: they may know its layers.
    ("models", ("keras_mlp.models", "keras_mlp.segmentation", "keras_mlp.weights.*_checkpoints")),
    (
        "whole-model I/O",
        ("keras_mlp.metadata", "keras_mlp.weights.hub", "keras_mlp.weights.timm_config", "keras_mlp.weights.resolver"),
    ),
    (
        "applications",
        (
            "keras_mlp.training", "keras_mlp.predict", "keras_mlp.predict_segmentation", "keras_mlp.face",
            "keras_mlp.export", "keras_mlp.visualize", "keras_mlp.cli",
        ),
    ),
    ("public API", ("keras_mlp",)),
)


def layer_of(module):
    best = None
    for rank, (name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if fnmatch.fnmatchcase(module, prefix) or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[2]:
                    best = (rank, name, len(prefix))
    if best is None or (best[1] == "public API" and module != "keras_mlp"):
        raise AssertionError(f"{module} is in no layer: add its package to LAYERS in {__file__}.")
    return best[0], best[1]


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

    def test_the_checks_see_function_level_imports(self):
        graph = import_graph()
        # keras_mlp.weights.registry asks the model registry inside a function.
        self.assertIn("keras_mlp.models.registry", graph["keras_mlp.weights.registry"])
        self.assertEqual(cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}), [["a", "b", "c"]])


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
