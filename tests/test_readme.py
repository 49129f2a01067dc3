"""README.md's commands are the ones CI runs."""

import ast
import os
import re

import keras_mlp
from tests.testing import REPO_ROOT, TestCase


def read(path):
    with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as f:
        return f.read()


class ReadmeTest(TestCase):
    def test_ci_runs_the_readme_test_command(self):
        match = re.search(r"<!-- test-command -->\n```bash\n(.+)\n```", read("README.md"))
        self.assertIsNotNone(match, "README.md lost its marked test command")
        self.assertIn(match.group(1), read(".ci/run").splitlines())

    def test_list_models_output(self):
        match = re.search(r'keras_mlp\.list_models\("(.*?)"\) +# (\[.*), \.\.\.\]', read("README.md"))
        self.assertIsNotNone(match, "README.md lost its list_models line")
        shown = ast.literal_eval(match.group(2) + "]")
        self.assertEqual(shown, keras_mlp.list_models(match.group(1))[: len(shown)])
