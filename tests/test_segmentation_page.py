"""docs/segmentation.md runs as written.

Every `python examples/...` command of the page runs from a scratch directory
with only size flags appended (absl keeps the last value of a repeated
flag), `runs/<run>` replaced by the run the first command wrote, and its
inputs (`my_masks/`, `photos/`) written by the test. The tensorflow-datasets
commands run under `tfds.testing.mock_data`. The Python blocks run as they are.
"""

import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from PIL import Image

from tests.script_output import runtime_log_lines, user_environment
from tests.segmentation.test_data import write_folder
from tests.testing import REPO_ROOT, TestCase

PAGE = "docs/segmentation.md"
MOCK_METADATA = os.path.join("tensorflow_datasets", "testing", "metadata")
SIZE_FLAGS = ("--epochs=1", "--steps_per_epoch=1", "--batch_size=2", "--image_size=32", "--channels=8")
# Runs a script with tensorflow-datasets mocked by two examples of every feature;
# its examples/runtime_logs.py first, as the script does, before TensorFlow loads.
MOCKED = """
import os, runpy, sys
sys.argv = sys.argv[1:]  # argv[0] is "-c"; the script's own argv follows
sys.path.insert(0, os.path.dirname(sys.argv[0]))
import runtime_logs
import tensorflow_datasets as tfds
from tests.segmentation.test_data import mock_examples
key = "annotation" if "scene_parse150" in " ".join(sys.argv) else "segmentation_mask"
with tfds.testing.mock_data(as_dataset_fn=mock_examples(key)):
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def read():
    with open(os.path.join(REPO_ROOT, PAGE), encoding="utf-8") as f:
        return f.read()


def commands():
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", read(), re.S):
        lines += block.replace("\\\n", " ").strip().splitlines()
    return lines


class SegmentationPageTest(TestCase):
    def test_the_page_documents_every_script(self):
        scripts = {shlex.split(c)[1] for c in commands()}
        self.assertEqual(
            scripts, {"examples/train_segmentation.py", "examples/predict_segmentation.py", "examples/export.py"}
        )
        self.assertIn("python examples/train_segmentation.py", commands())
        self.assertNotIn("RESULT_PLACEHOLDER", read())


@pytest.mark.slow
class RunSegmentationPageTest(TestCase):
    def run_command(self, command, cwd):
        words = shlex.split(command)
        script = os.path.join(REPO_ROOT, words[1])
        arguments = words[2:] + (list(SIZE_FLAGS) if "train_segmentation" in script else [])
        if "scene_parse150" in command or "oxford_iiit_pet" in command:
            argv = [sys.executable, "-c", MOCKED, script, *arguments]
        else:
            argv = [sys.executable, script, *arguments]
        env = user_environment(PYTHONPATH=REPO_ROOT)
        result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        self.assertEqual(result.returncode, 0, f"{command}\n{result.stdout}\n{result.stderr[-3000:]}")
        # tfds.testing.mock_data warns about its own metadata, which a real run lacks.
        logs = [line for line in runtime_log_lines(result.stdout + result.stderr) if MOCK_METADATA not in line]
        self.assertEqual(logs, [], command)
        return result.stdout

    def test_commands(self):
        cwd = tempfile.mkdtemp()
        label = np.random.RandomState(0).randint(0, 5, (40, 48)).astype("uint8")
        for split in ("train", "test"):
            write_folder(os.path.join(cwd, "my_masks"), split=split, size=(48, 40), label=label)
        os.makedirs(os.path.join(cwd, "photos"))
        Image.new("RGB", (70, 40), (200, 30, 30)).save(os.path.join(cwd, "photos", "red.png"))
        run = None
        for command in commands():
            if "<run>" in command:
                command = command.replace("runs/<run>", os.path.relpath(run, cwd))
            output = self.run_command(command, cwd)
            if command == "python examples/train_segmentation.py":
                self.assertRegex(output, r"Test mIoU \d\.\d{4}")
                run = os.path.dirname(glob.glob(os.path.join(cwd, "runs", "*", "final.keras"))[0])
            if command.startswith("python examples/export.py"):
                # Every artifact was run and compared with Keras (--verify).
                self.assertEqual(output.count("max |logit diff|"), 4, output)
        for suffix in ("mask", "overlay", "labels"):
            with Image.open(os.path.join(cwd, "masks", f"red_{suffix}.png")) as image:
                self.assertEqual(image.size, (70, 40))
        exported = sorted(os.listdir(os.path.join(cwd, "export")))
        suffixes = (".onnx", ".tflite", "_int8.tflite", "_saved_model")
        self.assertEqual(exported, [f"upernet_mixer_t4{suffix}" for suffix in suffixes])

    def test_python_blocks(self):
        for code in re.findall(r"```python\n(.*?)```", read(), re.S):
            env = dict(os.environ, PYTHONPATH=REPO_ROOT)
            result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
            self.assertEqual(result.returncode, 0, f"{code}\n{result.stderr[-3000:]}")
