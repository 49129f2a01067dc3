"""docs/detection.md's speed command, at a tiny size."""

import os
import subprocess
import sys

import pytest

from tests.testing import REPO_ROOT, TestCase

COMMAND = "python benchmarks/detection_speed.py --image_size=256"


@pytest.mark.slow
class DetectionSpeedTest(TestCase):
    def test_the_documented_command_prints_both_detectors(self):
        with open(os.path.join(REPO_ROOT, "docs", "detection.md"), encoding="utf-8") as f:
            self.assertIn(COMMAND, f.read())
        words = [sys.executable, os.path.join(REPO_ROOT, "benchmarks/detection_speed.py"), "--image_size=256"]
        result = subprocess.run(
            [*words, "--image_size=64", "--repeats=1"], capture_output=True, text=True, timeout=1200,
            env=dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow"),
        )
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assertIn("| RetinaNet cyclemlp_b1 (keras_mlp) |", result.stdout)
        self.assertIn("| RetinaNet ResNet-50 (keras_hub) |", result.stdout)
