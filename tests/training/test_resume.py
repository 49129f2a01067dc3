"""A run killed with SIGKILL mid-epoch resumes to the same final weights."""

import csv
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_mlp.training  # noqa: F401  (registers what load_model needs)

from tests.testing import REPO_ROOT, TestCase

COMMAND = [
    sys.executable, os.path.join(REPO_ROOT, "examples", "train.py"),
    "--epochs=3", "--batch_size=128", "--image_size=16", "--deterministic",
]

# The same run as COMMAND, killed by its own callback at batch 5 of the second
# epoch: a kill timed from outside lands in a different epoch on a faster machine.
KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    import keras
    from keras_mlp.classification import TrainConfig, train

    class KillMidEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1 and batch == 4:
                os.kill(os.getpid(), signal.SIGKILL)

    config = TrainConfig(
        epochs=3, batch_size=128, image_size=16, deterministic=True, model_dir=sys.argv[1]
    )
    train(config, callbacks=[KillMidEpoch()])
""")


def run(model_dir, command=None):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow")
    command = command or COMMAND + [f"--model_dir={model_dir}"]
    return subprocess.run(
        command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, timeout=600,
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
        self.assertEqual(process.returncode, 0, process.stderr[-3000:])

        resumed_dir = os.path.join(self.get_temp_dir(), "resumed")
        process = run(resumed_dir, [sys.executable, "-c", KILLED_RUN, resumed_dir])
        self.assertEqual(process.returncode, -9, process.stderr[-3000:])
        self.assertEqual(epochs_logged(resumed_dir), 1, "the kill did not land mid-run")

        process = run(resumed_dir)  # the train.py command, as a user reruns it
        self.assertEqual(process.returncode, 0, process.stderr[-3000:])
        self.assertEqual(epochs_logged(resumed_dir), 3)

        expected = keras.saving.load_model(os.path.join(reference_dir, "final.keras"))
        actual = keras.saving.load_model(os.path.join(resumed_dir, "final.keras"))
        for a, b in zip(actual.get_weights(), expected.get_weights()):
            np.testing.assert_array_equal(a, b)
