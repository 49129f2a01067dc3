"""One run per directory: a second run fails at once, a dead run's lock is taken over."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

from keras_mlp.training.lock import LOCK_FILE, RunLock, RunLockedError
from tests.testing import REPO_ROOT, TestCase

# Takes the lock (keras_mlp/training/lock.py alone, no TensorFlow) and dies
# with SIGKILL while holding it, as a killed training run does.
DIES_HOLDING_THE_LOCK = textwrap.dedent("""
    import importlib.util, os, signal, sys
    spec = importlib.util.spec_from_file_location("lock", sys.argv[2])
    lock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lock)
    lock.RunLock(sys.argv[1]).acquire()
    os.kill(os.getpid(), signal.SIGKILL)
""")


class RunLockTest(TestCase):
    def test_second_holder_fails_naming_the_first(self):
        directory = os.path.join(self.get_temp_dir(), "busy")
        with RunLock(directory):
            with open(os.path.join(directory, LOCK_FILE)) as f:
                holder = json.load(f)
            self.assertEqual((holder["pid"], holder["host"]), (os.getpid(), socket.gethostname()))
            with self.assertRaisesRegex(RunLockedError, f"in use by another run: PID {os.getpid()} on "):
                RunLock(directory).acquire()
        self.assertFalse(os.path.exists(os.path.join(directory, LOCK_FILE)))
        with RunLock(directory) as lock:  # free again once released
            self.assertIsNone(lock.previous)

    def test_lock_of_a_dead_process_is_taken_over(self):
        directory = os.path.join(self.get_temp_dir(), "orphan")
        result = subprocess.run(
            [sys.executable, "-c", DIES_HOLDING_THE_LOCK, directory,
             os.path.join(REPO_ROOT, "keras_mlp", "training", "lock.py")],
            capture_output=True, text=True,
        )
        self.assertEqual(result.returncode, -signal.SIGKILL, result.stderr)
        self.assertTrue(os.path.exists(os.path.join(directory, LOCK_FILE)))
        with RunLock(directory) as lock:
            self.assertIsNotNone(lock.previous)
            self.assertNotEqual(lock.previous["pid"], os.getpid())
            self.assertIn(f"PID {lock.previous['pid']} on {socket.gethostname()}", lock.describe_previous())

    def test_follows_a_renamed_directory(self):
        directory = os.path.join(self.get_temp_dir(), "old")
        lock = RunLock(directory).acquire()
        os.rename(directory, directory + ".replaced")
        lock.moved(directory + ".replaced")
        lock.release()
        self.assertEqual(os.listdir(directory + ".replaced"), [])
