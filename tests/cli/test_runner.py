"""The example scripts' ending: keras_mlp's checks as a message, bugs as tracebacks."""

import ast
import contextlib
import io
import os
import re
import subprocess
import sys
from unittest import mock

import keras
import pytest

from keras_mlp import cli, validation
from keras_mlp.training.lock import RunLock
from tests.script_output import user_environment
from tests.testing import REPO_ROOT, TestCase


class CallTest(TestCase):
    def call(self, main, **kwargs):
        """Runs `cli.call`; returns (exit code, stderr)."""
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), self.assertRaises(SystemExit) as exit:
            cli.call(main, ["script.py"], **kwargs)
        return exit.exception.code, stderr.getvalue()

    def test_a_library_check_is_one_line(self):
        def main(argv):
            validation.positive_int("epochs", 0)

        code, stderr = self.call(main)
        self.assertEqual(code, 1)
        self.assertEqual(stderr, "Error: `epochs` must be a positive int. Received: epochs=0\n")

    def test_a_run_directory_in_use(self):
        directory = self.get_temp_dir()
        holder = RunLock(directory).acquire()
        self.addCleanup(holder.release)

        def main(argv):
            RunLock(directory).acquire()

        code, stderr = self.call(main)
        self.assertEqual(code, 1)
        self.assertRegex(stderr, "^Error: .* is in use by another run: PID ")

    def test_errors_raised_outside_keras_mlp_keep_their_traceback(self):
        def main(argv):
            keras.layers.Dense(units=-1)

        with self.assertRaises(ValueError):
            cli.call(main, ["script.py"])

    def test_other_exception_types_keep_their_traceback(self):
        def main(argv):
            raise KeyError("a bug")

        with self.assertRaises(KeyError):
            cli.call(main, ["script.py"])

    def test_main_returns_its_exit_status(self):
        self.assertEqual(cli.call(lambda argv: 3, ["script.py"]), 3)

    def test_ctrl_c_says_how_to_resume(self):
        def main(argv):
            raise KeyboardInterrupt

        with mock.patch.object(sys, "argv", ["examples/train.py", "--model=gmlp_ti16", "--epochs=5"]):
            code, stderr = self.call(main, resumable=True)
        self.assertEqual(code, 130)
        self.assertIn("Rerun the same command", stderr)
        self.assertTrue(stderr.endswith("  python examples/train.py --model=gmlp_ti16 --epochs=5\n"), stderr)

        code, stderr = self.call(main)
        self.assertEqual((code, stderr), (130, "Interrupted.\n"))


EXAMPLES = os.path.join(REPO_ROOT, "examples")
# What every script imports first; not a script itself.
RUNTIME_LOGS = "runtime_logs.py"


def scripts():
    return sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".py") and n != RUNTIME_LOGS)


class ScriptTest(TestCase):
    def test_every_script_runs_through_cli(self):
        for name in scripts():
            with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
                self.assertRegex(f.read(), r"\n    cli\.run\(", f"examples/{name} bypasses keras_mlp.cli.run")

    def test_every_script_quiets_the_runtimes_before_anything_loads_them(self):
        for name in scripts():
            with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
                statements = ast.parse(f.read()).body
            first = next(s for s in statements if isinstance(s, (ast.Import, ast.ImportFrom)))
            self.assertEqual(ast.unparse(first), "import runtime_logs", f"examples/{name} imports another module first")

    def test_flags_named_in_messages_exist(self):
        def flags_defined(path):
            with open(path, encoding="utf-8") as f:
                return set(re.findall(r'DEFINE_\w+\(\s*"(\w+)"', f.read()))

        run_flags = flags_defined(os.path.join(REPO_ROOT, "keras_mlp", "cli", "run_flags.py"))
        self.assertContainsSubset({"model_dir", "resume", "restart", "seed", "steps_per_epoch"}, run_flags)
        defined = {}
        for script in sorted(name[:-3] for name in os.listdir(EXAMPLES) if name.endswith(".py")):
            path = os.path.join(EXAMPLES, f"{script}.py")
            with open(path, encoding="utf-8") as f:
                calls_define_run_flags = "cli.define_run_flags(" in f.read()
            defined[script] = flags_defined(path) | (run_flags if calls_define_run_flags else set())
        every = set.union(*defined.values())
        for root, _, files in os.walk(os.path.join(REPO_ROOT, "keras_mlp")):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        # `hf download --revision ...` is the Hub's command line.
                        named = set(re.findall(r"(?<!hf download )(?<![\w{])--(?:no)?([a-z_]+)\b(?!-)", f.read()))
                    self.assertEmpty(named - every - {"revision"}, f"{name} names flags no script has")
        # A folder dataset's errors (keras_mlp/data/sources.py) reach both.
        for script in ("train", "evaluate"):
            self.assertContainsSubset({"holdout_fraction", "data_dir", "dataset"}, defined[script])

    @pytest.mark.slow
    def test_a_script_prints_the_message_alone(self):
        # Nothing of TensorFlow's start-up either (examples/runtime_logs.py).
        result = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, "train.py"), "--epochs=0",
             f"--model_dir={self.get_temp_dir()}/run"],
            capture_output=True, text=True, timeout=300, env=user_environment(PYTHONPATH=REPO_ROOT),
        )
        self.assertEqual(result.returncode, 1, result.stderr[-3000:])
        self.assertEqual(result.stderr, "Error: `epochs` must be a positive int. Received: epochs=0\n")

    @pytest.mark.slow
    def test_finetune_help_lists_the_training_flags(self):
        result = subprocess.run(
            [sys.executable, os.path.join(REPO_ROOT, "examples", "finetune.py"), "--helpshort"],
            capture_output=True, text=True, timeout=300,
            env=dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="3"),
        )
        # absl's help exits 1.
        # --model_dir and --seed come from keras_mlp.cli.define_run_flags.
        for flag in ("--weights", "--epochs", "--recipe", "--dataset", "--model_dir", "--seed"):
            self.assertIn(f"  {flag}: ", result.stdout, result.stderr[-3000:])
