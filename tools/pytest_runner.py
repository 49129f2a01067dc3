"""Entry point of the py_tests of tools/pytest.bzl: runs one test file through pytest.

The suites are `tf.test.TestCase` classes written for pytest: tests/conftest.py
must load (it imports torch before tensorflow) and setup.cfg's options apply
(markers, `-m "not slow"`). Bazel runs this script from the runfiles root with
the test file as its first argument; `bazel test --test_arg=...` adds pytest
options, e.g. `--test_arg=-m --test_arg=slow`.
"""

import sys

import pytest


class _DeselectionRecorder:
    """Tells a file whose tests were all deselected (all `slow`) from an empty one."""

    def __init__(self):
        self.deselected = 0

    def pytest_deselected(self, items):
        self.deselected += len(items)


def main(argv):
    recorder = _DeselectionRecorder()
    # No cache: the runfiles tree is not the place for a .pytest_cache.
    code = pytest.main(["-c", "setup.cfg", "-p", "no:cacheprovider", *argv], plugins=[recorder])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and recorder.deselected:
        return pytest.ExitCode.OK
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
