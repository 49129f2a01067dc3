"""A py_test per test file, run through pytest as `python -m pytest` runs it."""

_RUNNER = "//tools:pytest_runner.py"

def pytest_tests(srcs, **kwargs):
    """Declares a py_test per file of `srcs` and a test_suite per folder.

    A test is named after its file's path without `.py` (`layers/test_mlp`), so a
    new file or folder gets its target from the caller's glob. The suites make a
    folder one target (`bazel test //tests:models` runs tests/models/**), since
    the folders are not packages. `kwargs` (deps, data, ...) go to every py_test.
    """
    suites = {}
    for src in srcs:
        name = src[:-len(".py")]
        native.py_test(
            name = name,
            srcs = [src, _RUNNER],
            main = _RUNNER,
            args = ["$(rootpath %s)" % src],
            **kwargs
        )
        folders = name.split("/")[:-1]
        for depth in range(1, len(folders) + 1):
            suites.setdefault("/".join(folders[:depth]), []).append(":" + name)
    for suite, tests in suites.items():
        native.test_suite(name = suite, tests = tests)
