"""`examples/train_detection.py` and `examples/predict_detection.py`,
docs/detection.md's commands, at a tiny size: the run's files, COCO's
numbers in results.json and history.csv, a rerun, the detections of image
files of their own sizes."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import keras
import pytest
from PIL import Image

from keras_mlp.detection.data import digit_canvases
from keras_mlp.detection.trainer import DetectionConfig, train_detection
from tests.script_output import user_environment
from tests.testing import REPO_ROOT, TestCase

TRAIN = "python examples/train_detection.py"
PREDICT = "python examples/predict_detection.py --weights=runs/<run>/final.keras --output_dir=boxes/ canvases/"
TINY = ["--backbone=mixer_t4", "--image_size=32", "--epochs=2", "--steps_per_epoch=2", "--batch_size=4"]
# Held-out canvases as files, one at another size than the model's input.
CANVAS_SIZES = {"a.png": (64, 64), "b.png": (48, 80)}


class DetectionConfigTest(TestCase):
    def test_bad_settings_are_refused_before_anything_loads(self):
        for name in ("epochs", "batch_size", "image_size"):
            with self.assertRaisesRegex(ValueError, name):
                train_detection(DetectionConfig(**{name: 0}, model_dir=self.get_temp_dir()))
        with self.assertRaisesRegex(ValueError, "anchor_size"):
            train_detection(DetectionConfig(anchor_size=0, model_dir=self.get_temp_dir()))
        with self.assertRaisesRegex(ValueError, "head_conv_layers"):
            train_detection(DetectionConfig(head_conv_layers=0, model_dir=self.get_temp_dir()))
        with self.assertRaisesRegex(ValueError, r"`warmup_epochs` must be from 0 to below --epochs=2"):
            train_detection(DetectionConfig(epochs=2, warmup_epochs=2, model_dir=self.get_temp_dir()))


@pytest.mark.slow
class TrainDetectionCommandTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cwd = tempfile.mkdtemp()
        cls.first = cls.run_command(TRAIN, *TINY)
        (cls.run_name,) = os.listdir(os.path.join(cls.cwd, "runs"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cwd)
        super().tearDownClass()

    @classmethod
    def run_command(cls, command, *flags):
        words = [sys.executable if w == "python" else os.path.join(REPO_ROOT, w) if w.startswith("examples/") else w
                 for w in command.replace("<run>", getattr(cls, "run_name", "")).split()]
        result = subprocess.run(
            [*words, *flags], cwd=cls.cwd, capture_output=True, text=True, timeout=1800,
            env=user_environment(PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow"),
        )
        if result.returncode:
            raise AssertionError(f"{command} failed:\n{result.stderr[-3000:]}")
        return result

    def test_the_commands_are_documented(self):
        with open(os.path.join(REPO_ROOT, "docs", "detection.md"), encoding="utf-8") as f:
            text = f.read()
        for command in (TRAIN, PREDICT):
            self.assertIn(command, text)

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
        for epoch, row in enumerate(rows, 1):
            ap50, ap = float(row["val_ap50"]), float(row["val_ap"])
            self.assertIn(f"Epoch {epoch}: COCO AP50 {ap50:.4f}, AP {ap:.4f} on 300 held-out images", self.first.stdout)
        self.assertTrue(os.path.isfile(os.path.join(run_dir, "final.keras")))
        model = keras.saving.load_model(os.path.join(run_dir, "final.keras"))
        self.assertEqual(model.bounding_box_format, "xyxy")

    def test_a_rerun_returns_the_finished_run(self):
        result = self.run_command(TRAIN, *TINY)
        self.assertIn("holds a finished run", result.stdout)

    def test_predict_gives_boxes_on_each_image_at_its_own_size(self):
        canvases = digit_canvases("test", 64).images
        os.makedirs(os.path.join(self.cwd, "canvases"), exist_ok=True)
        for canvas, (name, (height, width)) in zip(canvases, CANVAS_SIZES.items()):
            Image.fromarray(canvas).resize((width, height)).save(os.path.join(self.cwd, "canvases", name))
        # A model of 4 steps scores little: every detection is printed (the
        # number of lines is the size flag).
        result = self.run_command(PREDICT, "--min_score=0")
        blocks = re.findall(r"^canvases/(\S+): (\d+) objects\n((?:  .*\n)*)", result.stdout, re.MULTILINE)
        self.assertEqual([name for name, _, _ in blocks], list(CANVAS_SIZES))
        for name, count, lines in blocks:
            height, width = CANVAS_SIZES[name]
            boxes = re.findall(r"^  \d (0\.\d{3}|1\.000) \[(.*)\]$", lines, re.MULTILINE)
            self.assertLen(boxes, int(count))
            for _, box in boxes:
                x0, y0, x1, y1 = (float(v) for v in box.split(", "))
                self.assertTrue(0 <= x0 <= x1 <= width and 0 <= y0 <= y1 <= height, (name, box))
            drawn = Image.open(os.path.join(self.cwd, "boxes", name.replace(".png", "_boxes.png")))
            self.assertEqual(drawn.size, (width, height))
