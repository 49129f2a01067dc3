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
from tests.script_output import runtime_log_lines, user_environment
from tests.testing import REPO_ROOT, TestCase

TRAIN = "python examples/train_detection.py"
PREDICT = "python examples/predict_detection.py --weights=runs/<run>/final.keras --output_dir=boxes/ canvases/"
EXPORT = "python examples/export.py --weights=runs/<run>/final.keras --output_dir=export/"
# TensorFlow's one error-level line on converting KerasHub's feature pyramid
# to TFLite, which says it "may be expected" (docs/detection.md, Limits).
TFLITE_NODE_DEF_LINE = "NodeDef mentions attribute Truncate which is not in the op definition"
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
        for command in (TRAIN, PREDICT, EXPORT):
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

    def test_export_writes_the_serving_form_in_every_format(self):
        result = self.run_command(EXPORT)
        lines = result.stdout.splitlines()
        self.assertLen(lines, 4, result.stdout)
        for line in lines:
            self.assertRegex(
                line, r"^ *(tf_saved_model|tflite|tflite_int8|onnx): export/retinanet_mixer_t4\S*  max \|box diff\| "
                r"\S+ px \(\S+ relative\), max \|probability diff\| \S+$",
            )
            relative = float(re.search(r"\((\S+) relative\)", line).group(1))
            self.assertLess(relative, 0.2 if "int8" in line else 1e-3, line)
        logs = [line for line in runtime_log_lines(result.stderr) if TFLITE_NODE_DEF_LINE not in line]
        self.assertEqual(logs, [])
        exported = sorted(os.listdir(os.path.join(self.cwd, "export")))
        suffixes = (".onnx", ".tflite", "_int8.tflite", "_saved_model")
        self.assertEqual(exported, [f"retinanet_mixer_t4{suffix}" for suffix in suffixes])
