"""examples/runtime_logs.py: a script prints its own lines; the runtimes' logs when asked.

The documented commands' tests (tests/training/test_documented_commands.py,
tests/test_segmentation_page.py) check real runs of the scripts the same way.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap
from unittest import mock

from tests.script_output import runtime_log_lines, user_environment
from tests.testing import REPO_ROOT, TestCase

EXAMPLES = os.path.join(REPO_ROOT, "examples")
RUNTIME_LOGS = os.path.join(EXAMPLES, "runtime_logs.py")
# A script as examples/ writes them, with a log line of each kind; it loads
# TensorFlow (and its start-up notices) when told "tensorflow".
SCRIPT = """
import runtime_logs  # noqa: F401

import logging
import os
import sys

from absl import app
from absl import logging as absl_logging

if "tensorflow" in sys.argv:
    import tensorflow  # noqa: F401


def main(argv):
    absl_logging.info("INFO through absl, as TensorFlow's SavedModel writer logs")
    logging.getLogger("tensorflow").info("INFO of TensorFlow's Python logger")
    # As TFLite's minimal logger writes it, from C++ to the file descriptor.
    os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
    print("the result")
    if "fail" in argv:
        raise SystemExit("Error: what went wrong")


app.run(main)
"""


def _load_without_quieting():
    """The module, imported as a script with --verbose would: this process keeps its logs."""
    spec = importlib.util.spec_from_file_location("runtime_logs", RUNTIME_LOGS)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.object(sys, "argv", ["script.py", "--verbose"]):
        spec.loader.exec_module(module)
    return module


runtime_logs = _load_without_quieting()


class VerboseFlagTest(TestCase):
    def test_absl_spellings_the_last_one_counts(self):
        for argv, expected in (
            ([], False),
            (["--verbose"], True),
            (["-verbose"], True),
            (["--verbose=true"], True),
            (["--verbose=False"], False),
            (["--verbose=0"], False),
            (["--verbose", "--noverbose"], False),
            (["--noverbose", "--verbose"], True),
            (["--verbose_not"], False),
            (["verbose"], False),
            (["--", "--verbose"], False),
        ):
            self.assertEqual(runtime_logs.verbose_requested(["script.py", *argv]), expected, argv)

    def test_tflite_lines_follow_tensorflows_level(self):
        self.assertEqual(runtime_logs.hidden_tflite_lines("0"), ())
        self.assertNotIn(b"WARNING: ", runtime_logs.hidden_tflite_lines("1"))
        self.assertIn(b"INFO: ", runtime_logs.hidden_tflite_lines("1"))
        self.assertIn(b"WARNING: ", runtime_logs.hidden_tflite_lines("3"))
        self.assertEqual(runtime_logs.hidden_tflite_lines("quiet"), ())


class StderrFilterTest(TestCase):
    def forward(self, data):
        """What the filter process passes on of `data`."""
        result = subprocess.run(
            [sys.executable, RUNTIME_LOGS, "INFO: ", "WARNING: "], input=data, capture_output=True, timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_drops_the_lines_that_start_with_a_prefix_and_keeps_the_rest(self):
        data = (
            b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
            b"ERROR: a TFLite error stays\n"
            b"Error: keras_mlp's message\n"
            b"WARNING: dropped\n"
            b"INFOrmation: kept\n"
            b"epoch 1/2\repoch 2/2\rINFO: after a carriage return\nthe end"
        )
        self.assertEqual(
            self.forward(data),
            b"ERROR: a TFLite error stays\nError: keras_mlp's message\nINFOrmation: kept\nepoch 1/2\repoch 2/2\rthe end",
        )

    def test_a_short_last_line_is_kept(self):
        self.assertEqual(self.forward(b"ok\nINF"), b"ok\nINF")


class ScriptOutputTest(TestCase):
    def run_script(self, *flags, **env):
        path = os.path.join(self.get_temp_dir(), "script.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(SCRIPT))
        return subprocess.run(
            [sys.executable, path, *flags], capture_output=True, text=True, timeout=300,
            env=user_environment(PYTHONPATH=os.pathsep.join([EXAMPLES, REPO_ROOT]), **env),
        )

    def test_quiet_by_default_verbose_on_request(self):
        quiet = self.run_script("tensorflow")
        self.assertEqual(quiet.returncode, 0, quiet.stderr)
        self.assertEqual((quiet.stdout, quiet.stderr), ("the result\n", ""))

        verbose = self.run_script("tensorflow", "--verbose")
        logs = runtime_log_lines(verbose.stderr)
        self.assertLen([line for line in logs if "INFO through absl" in line], 1, verbose.stderr)
        self.assertIn("INFO:tensorflow:INFO of TensorFlow's Python logger", logs)
        self.assertIn("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", logs)
        self.assertEqual(verbose.stdout, "the result\n")

    def test_an_error_is_its_message_alone(self):
        result = self.run_script("fail")
        self.assertEqual(result.returncode, 1)
        self.assertEqual((result.stdout, result.stderr), ("the result\n", "Error: what went wrong\n"))

    def test_the_users_cpp_log_level_is_kept(self):
        # TF_CPP_MIN_LOG_LEVEL=0 shows TFLite's INFO line too; Python's loggers stay quiet.
        result = self.run_script(TF_CPP_MIN_LOG_LEVEL="0")
        self.assertIn("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n", result.stderr)
        self.assertNotIn("INFO through absl", result.stderr)
