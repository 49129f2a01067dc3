"""A run killed with SIGKILL mid-epoch resumes to the same final weights."""

import csv
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import keras_mlp.training  # noqa: F401  (registers what load_model needs)

from tests.testing import REPO_ROOT, TestCase

COMMAND = [
    sys.executable, os.path.join(REPO_ROOT, "examples", "train.py"),
    "--epochs=3", "--batch_size=128", "--image_size=16", "--deterministic",
]


def run(model_dir, *extra, **kwargs):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow")
    return subprocess.Popen(
        COMMAND + [f"--model_dir={model_dir}", *extra],
        env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        **kwargs,
    )


def epochs_logged(model_dir):
    path = os.path.join(model_dir, "history.csv")
    if not os.path.exists(path):
        return 0
    with open(path, newline="") as f:
        return len(list(csv.DictReader(f)))


@pytest.mark.slow
class ResumeTest(TestCase):
    def test_sigkill_mid_epoch_then_resume(self):
        reference_dir = os.path.join(self.get_temp_dir(), "reference")
        process = run(reference_dir)
        _, err = process.communicate(timeout=600)
        self.assertEqual(process.returncode, 0, err[-3000:])

        resumed_dir = os.path.join(self.get_temp_dir(), "resumed")
        process = run(resumed_dir)
        deadline = time.time() + 600
        while epochs_logged(resumed_dir) < 1 and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)  # well into the second epoch (about 11 steps of 128)
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.assertEqual(epochs_logged(resumed_dir), 1, "the kill did not land mid-run")

        process = run(resumed_dir)  # the same command again
        _, err = process.communicate(timeout=600)
        self.assertEqual(process.returncode, 0, err[-3000:])
        self.assertEqual(epochs_logged(resumed_dir), 3)

        expected = keras.saving.load_model(os.path.join(reference_dir, "final.keras"))
        actual = keras.saving.load_model(os.path.join(resumed_dir, "final.keras"))
        for a, b in zip(actual.get_weights(), expected.get_weights()):
            np.testing.assert_array_equal(a, b)
