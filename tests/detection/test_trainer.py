"""`examples/train_detection.py`, docs/detection.md's command, at a tiny size:
the run's files, COCO's numbers in results.json and history.csv, a rerun."""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import keras
import pytest

from keras_mlp.detection.trainer import DetectionConfig, train_detection
from tests.script_output import user_environment
from tests.testing import REPO_ROOT, TestCase

TRAIN = "python examples/train_detection.py"
TINY = ["--backbone=mixer_t4", "--image_size=32", "--epochs=2", "--steps_per_epoch=2", "--batch_size=4"]


class DetectionConfigTest(TestCase):
    def test_bad_settings_are_refused_before_anything_loads(self):
        for name in ("epochs", "batch_size", "image_size"):
            with self.assertRaisesRegex(ValueError, name):
                train_detection(DetectionConfig(**{name: 0}, model_dir=self.get_temp_dir()))
        with self.assertRaisesRegex(ValueError, "anchor_size"):
            train_detection(DetectionConfig(anchor_size=0, model_dir=self.get_temp_dir()))


@pytest.mark.slow
class TrainDetectionCommandTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cwd = tempfile.mkdtemp()
        cls.first = cls.run_command()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cwd)
        super().tearDownClass()

    @classmethod
    def run_command(cls):
        words = [sys.executable if w == "python" else os.path.join(REPO_ROOT, w) if w.startswith("examples/") else w
                 for w in TRAIN.split()]
        result = subprocess.run(
            [*words, *TINY], cwd=cls.cwd, capture_output=True, text=True, timeout=1800,
            env=user_environment(PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow"),
        )
        if result.returncode:
            raise AssertionError(f"{TRAIN} failed:\n{result.stderr[-3000:]}")
        return result

    def test_the_command_is_documented(self):
        with open(os.path.join(REPO_ROOT, "docs", "detection.md"), encoding="utf-8") as f:
            self.assertIn(TRAIN, f.read())

    def test_the_run_writes_cocos_numbers(self):
        (run,) = os.listdir(os.path.join(self.cwd, "runs"))
        run_dir = os.path.join(self.cwd, "runs", run)
        with open(os.path.join(run_dir, "results.json")) as f:
            results = json.load(f)
        for name in ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large"):
            self.assertIn(name, results)
        self.assertIn(f"ap50 {results['ap50']:.4f}", self.first.stdout)
        with open(os.path.join(run_dir, "history.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertLen(rows, 2)
        self.assertIn("val_ap50", rows[0])
        self.assertTrue(os.path.isfile(os.path.join(run_dir, "final.keras")))
        model = keras.saving.load_model(os.path.join(run_dir, "final.keras"))
        self.assertEqual(model.bounding_box_format, "xyxy")

    def test_a_rerun_returns_the_finished_run(self):
        result = self.run_command()
        self.assertIn("holds a finished run", result.stdout)
