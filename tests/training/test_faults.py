"""The real examples/train.py killed mid-write, torn files, two runs at once.

Each fault fires at a file event (tests/training/fault_injection.py hooks
h5py and zipfile), never after a sleep, so it lands at the same point of the
same write on any machine. Then the same command is run again, as a user
would.
"""

import csv
import os
import signal
import subprocess
import sys
import time

import keras
import pytest

import keras_mlp  # noqa: F401  (registers what load_model needs)
from tests.saved_models import tear
from tests.testing import REPO_ROOT, TestCase

TINY = ["--epochs=3", "--steps_per_epoch=2", "--batch_size=8", "--image_size=16"]
TRAIN = [sys.executable, os.path.join(REPO_ROOT, "examples", "train.py"), *TINY]
FAULTY = [sys.executable, os.path.join(REPO_ROOT, "tests", "training", "fault_injection.py"),
          os.path.join(REPO_ROOT, "examples", "train.py"), *TINY]


def environment(**fault):
    return dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow", **fault)


def run(command, cwd, **fault):
    return subprocess.run(
        command, cwd=cwd, env=environment(**fault), capture_output=True, text=True, timeout=900
    )


def logged_epochs(model_dir):
    with open(os.path.join(model_dir, "history.csv"), newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


@pytest.mark.slow
class FaultTest(TestCase):
    def assertWholeRun(self, model_dir):
        """One log row per epoch, every checkpoint and the final model readable."""
        self.assertEqual(logged_epochs(model_dir), [0, 1, 2])
        checkpoints = os.path.join(model_dir, "checkpoints")
        self.assertEqual(sorted(os.listdir(checkpoints)), [f"epoch_00{i}.keras" for i in (1, 2, 3)])
        for name in os.listdir(checkpoints):
            keras.saving.load_model(os.path.join(checkpoints, name))
        keras.saving.load_model(os.path.join(model_dir, "final.keras"))

    def test_killed_while_writing_the_backup_the_same_command_resumes(self):
        cwd = self.get_temp_dir()
        killed = run(FAULTY, cwd, FAULT_DIR="backup", FAULT_AT="2", FAULT="kill")
        self.assertEqual(killed.returncode, -signal.SIGKILL, killed.stderr[-3000:])
        (run_name,) = os.listdir(os.path.join(cwd, "runs"))  # the default --model_dir

        rerun = run(TRAIN, cwd)  # the same command, as the user reruns it
        self.assertEqual(rerun.returncode, 0, rerun.stderr[-3000:])
        self.assertEqual(os.listdir(os.path.join(cwd, "runs")), [run_name])
        self.assertIn("Resuming after epoch 2 from ", rerun.stdout)
        self.assertWholeRun(os.path.join(cwd, "runs", run_name))

    def test_killed_while_writing_a_checkpoint_with_a_torn_backup(self):
        model_dir = os.path.join(self.get_temp_dir(), "run")
        command = [f"--model_dir={model_dir}"]
        killed = run(FAULTY + command, self.get_temp_dir(), FAULT_DIR="checkpoints", FAULT_AT="2", FAULT="kill")
        self.assertEqual(killed.returncode, -signal.SIGKILL, killed.stderr[-3000:])
        backups = [n for n in os.listdir(os.path.join(model_dir, "backup")) if not n.startswith(".")]
        self.assertTrue(backups)
        for name in backups:  # as a kill mid-write of an in-place backup leaves it
            tear(os.path.join(model_dir, "backup", name))

        rerun = run(TRAIN + command, self.get_temp_dir())
        self.assertEqual(rerun.returncode, 0, rerun.stderr[-3000:])
        self.assertIn("is unreadable", rerun.stdout)
        self.assertEqual(len(os.listdir(os.path.join(model_dir, "corrupt"))), len(backups))
        self.assertWholeRun(model_dir)

    def test_second_run_in_the_same_directory_fails_at_once(self):
        model_dir = os.path.join(self.get_temp_dir(), "shared")
        paused, resume = (os.path.join(self.get_temp_dir(), n) for n in ("paused", "resume"))
        first = subprocess.Popen(
            FAULTY + [f"--model_dir={model_dir}"], cwd=self.get_temp_dir(),
            env=environment(FAULT_DIR="checkpoints", FAULT="pause", FAULT_PAUSED=paused, FAULT_RESUME=resume),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + 600
            while not os.path.exists(paused):  # the first run is mid-training
                self.assertIsNone(first.poll(), "the first run ended before its pause")
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.2)
            second = run(TRAIN + [f"--model_dir={model_dir}"], self.get_temp_dir())
            self.assertNotEqual(second.returncode, 0)
            self.assertIn(f"is in use by another run: PID {first.pid} on ", second.stderr)
            self.assertFalse(os.path.exists(os.path.join(model_dir, "final.keras")))
            open(resume, "w").close()
            _, stderr = first.communicate(timeout=900)
        finally:
            first.kill()
        self.assertEqual(first.returncode, 0, stderr[-3000:])
        self.assertWholeRun(model_dir)
