"""docs/model_zoo.md lists every registered model: benchmarks/model_zoo.py
prints the rows, and a family added without rerunning it would be missing."""

import os
import re

import keras_mlp
from tests.testing import REPO_ROOT, TestCase


class ModelZooPageTest(TestCase):
    def test_one_row_per_registered_model(self):
        with open(os.path.join(REPO_ROOT, "docs", "model_zoo.md"), encoding="utf-8") as f:
            rows = re.findall(r"^\| ([a-z0-9_]+) \| [0-9,]+ \|", f.read(), re.M)
        self.assertEqual(rows, keras_mlp.list_models())
