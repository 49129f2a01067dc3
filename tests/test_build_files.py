"""The Bazel BUILD files name every module and are what tools/update_build_files.py writes."""

import os
import subprocess
import sys

from tests.testing import TestCase

# Under `bazel test` this file is a symlink into the source tree, which is what
# the check is about (the runfiles hold only the files the BUILD files name).
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
GENERATOR = "tools/update_build_files.py"


def run_generator(root, *args):
    return subprocess.run(
        [sys.executable, os.path.join(SOURCE_ROOT, GENERATOR), "--root", root, *args],
        capture_output=True,
        text=True,
    )


def write(root, files):
    for path, text in files.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), "w", encoding="utf-8") as f:
            f.write(text)


class BuildFilesTest(TestCase):
    def test_build_files_are_current(self):
        result = run_generator(SOURCE_ROOT, "--check")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_check_names_a_new_module_and_the_fix(self):
        root = os.path.join(self.get_temp_dir(), "repo")
        write(
            root,
            {
                "pkg/__init__.py": "",
                "pkg/sub/__init__.py": "from pkg.sub import a\n",
                "pkg/sub/a.py": "import numpy\n",
                "tests/__init__.py": "",
                "tests/bazel_pytest_runner.py": "",
                "tests/test_a.py": "import pytest\nfrom pkg.sub.a import numpy\n"
                "@pytest.mark.slow\ndef test_a():\n    pass\n",
            },
        )
        self.assertEqual(run_generator(root).returncode, 0)
        self.assertEqual(run_generator(root, "--check").returncode, 0)
        with open(os.path.join(root, "tests", "BUILD"), encoding="utf-8") as f:
            tests_build = f.read()
        # pkg/__init__.py, pkg/sub/__init__.py and the module all run on import.
        for line in ('"//pkg",', '"//pkg/sub",', '"//tests",', 'tags = ["slow"],'):
            self.assertIn(line, tests_build)

        write(root, {"pkg/sub/b.py": "from pkg.sub import a\n"})
        result = run_generator(root, "--check")
        self.assertEqual(result.returncode, 1)
        self.assertIn("pkg/sub/b.py is in no BUILD target's srcs.", result.stdout)
        self.assertIn("pkg/sub/BUILD is stale", result.stdout)
        self.assertIn("python tools/update_build_files.py", result.stdout)

    def test_unresolvable_first_party_import_is_an_error(self):
        root = os.path.join(self.get_temp_dir(), "repo")
        write(root, {"pkg/__init__.py": "import pkg.missing\n"})
        result = run_generator(root, "--check")
        self.assertEqual(result.returncode, 1)
        self.assertIn("pkg/__init__.py: cannot find the module for `import pkg.missing`", result.stderr)
