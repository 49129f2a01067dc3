"""Atomic writes: a kill at any instant leaves the old file or the new one, whole."""

import os
import signal
import subprocess
import sys
import textwrap

from keras_mlp import atomic
from tests.testing import REPO_ROOT, TestCase

# Loads keras_mlp/atomic.py alone (no TensorFlow import), then dies with
# SIGKILL halfway through writing the new version of argv[1].
KILLED_WRITER = textwrap.dedent("""
    import importlib.util, os, signal, sys
    spec = importlib.util.spec_from_file_location("atomic", sys.argv[2])
    atomic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(atomic)
    with atomic.atomic_path(sys.argv[1]) as tmp:
        with open(tmp, "w") as f:
            f.write("new, but only half of it")
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
""")


class AtomicTest(TestCase):
    def test_kill_mid_write_keeps_the_previous_file(self):
        path = os.path.join(self.get_temp_dir(), "history.csv")
        atomic.write_text(path, "old and whole\n")
        result = subprocess.run(
            [sys.executable, "-c", KILLED_WRITER, path, os.path.join(REPO_ROOT, "keras_mlp", "atomic.py")],
            capture_output=True, text=True,
        )
        self.assertEqual(result.returncode, -signal.SIGKILL, result.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), "old and whole\n")
        leftovers = [n for n in os.listdir(self.get_temp_dir()) if n != "history.csv"]
        self.assertLen(leftovers, 1)
        self.assertTrue(atomic.is_temporary(leftovers[0]), leftovers)

    def test_failed_write_removes_its_temporary_file(self):
        directory = os.path.join(self.get_temp_dir(), "failed")
        os.makedirs(directory)
        path = os.path.join(directory, "final.keras")
        with self.assertRaises(RuntimeError):
            with atomic.atomic_path(path) as tmp:
                self.assertTrue(tmp.endswith(".keras"), "Keras picks the format from the suffix")
                open(tmp, "w").close()
                raise RuntimeError("disk full")
        self.assertEqual(os.listdir(directory), [])

    def test_write_json_replaces(self):
        path = os.path.join(self.get_temp_dir(), "run.json")
        atomic.write_json(path, {"epochs": 1})
        atomic.write_json(path, {"epochs": 2})
        with open(path) as f:
            self.assertEqual(f.read(), '{\n  "epochs": 2\n}\n')

    def test_a_directory_replaces_the_previous_one_whole(self):
        path = os.path.join(self.get_temp_dir(), "saved_model")
        for version in ("old", "new"):
            with atomic.atomic_path(path) as tmp:
                os.makedirs(tmp)
                atomic.write_text(os.path.join(tmp, version), version)
        self.assertEqual(os.listdir(path), ["new"])
        with self.assertRaisesRegex(RuntimeError, "converter failed"):
            with atomic.atomic_path(path) as tmp:
                os.makedirs(tmp)
                raise RuntimeError("converter failed")
        self.assertEqual(os.listdir(self.get_temp_dir()), ["saved_model"])
        self.assertEqual(os.listdir(path), ["new"])
