"""The workflow commands of README.md and docs/, run as written at a tiny size.

Each command below must appear verbatim in the docs, and is run with only
these changes: `python` is this interpreter, `examples/` the repository's,
placeholders (`<run>`, `/data/flowers`) real paths, and size flags (epochs,
steps, batch, image size) appended, which absl lets override.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import keras
import pytest

import keras_mlp
from keras_mlp.data.embedded import load_digits
from keras_mlp.model_io.metadata import read_metadata
from tests.data.folders import image_folder
from tests.script_output import runtime_log_lines, user_environment
from tests.testing import REPO_ROOT, TestCase

TRAIN = "python examples/train.py"
EVALUATE = "python examples/evaluate.py --weights=runs/<run>/final.keras"
EVALUATE_DEPLOY = "python examples/evaluate.py --weights=runs/<run>/final.keras --reparameterize"
PREDICT = "python examples/predict.py --weights=runs/<run>/final.keras digits/"
EXPORT = "python examples/export.py --weights=runs/<run>/final.keras --output_dir=export/"
EXPORT_VERBOSE = "python examples/export.py --weights=runs/<run>/final.keras --formats=tflite --verbose"
FINETUNE = "python examples/finetune.py --weights=runs/<run> --image_size=64 --epochs=3"
HOLDOUT = "python examples/train.py --dataset=/data/flowers --holdout_fraction=0.1"
XLA = "python examples/train.py --jit_compile=true"
FINETUNE_RESOLUTION = "python examples/train.py --weights=runs/<run> --image_size=48"
EVALUATE_RESOLUTION = "python examples/evaluate.py --weights=runs/<run>/final.keras --image_size=48"
RESOLUTION_BENCHMARK = "python benchmarks/resolution.py --mixer_run=runs/<run>/final.keras"
DOCUMENTED = {
    "README.md": [TRAIN],
    "docs/training.md": [TRAIN, EVALUATE, EVALUATE_DEPLOY, PREDICT, EXPORT, FINETUNE, HOLDOUT, XLA],
    "docs/usage.md": [PREDICT, EXPORT, EXPORT_VERBOSE],
    "docs/resolution.md": [FINETUNE_RESOLUTION, EVALUATE_RESOLUTION, RESOLUTION_BENCHMARK],
}
TINY = ["--epochs=2", "--steps_per_epoch=2", "--batch_size=8", "--image_size=16"]


def read(path):
    with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as f:
        return f.read()


class DocumentedCommandsTest(TestCase):
    def test_the_commands_are_in_the_docs(self):
        for path, commands in DOCUMENTED.items():
            text = read(path)
            for command in commands:
                self.assertTrue(command in text, f"{path} lost the tested command {command!r}")

    def test_the_parameter_count_of_the_default_run(self):
        match = re.search(r"`mixer_t4`: .*?([0-9,]+) parameters at\s+32x32 with its 10-class head", read("docs/training.md"))
        self.assertIsNotNone(match, "docs/training.md lost the default model's parameter count")
        model = keras_mlp.MixerT4(input_shape=(32, 32, 3), classes=10)
        self.assertEqual(int(match.group(1).replace(",", "")), model.count_params())


@pytest.mark.slow
class RunDocumentedCommandsTest(TestCase):
    """One run of `python examples/train.py`, then every script on its final.keras alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cwd = tempfile.mkdtemp()
        # The digits test split as image files, one folder per class.
        images, labels = load_digits()["test"]
        for i, (image, label) in enumerate(zip(images, labels)):
            path = os.path.join(cls.cwd, "digits", str(label), f"{i}.png")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            keras.utils.save_img(path, image, scale=False)
        cls.train = cls.command(cls, TRAIN, *TINY)
        (cls.run_name,) = os.listdir(os.path.join(cls.cwd, "runs"))
        cls.reported = float(re.search(r"Final evaluation: top-1 ([0-9.]+)", cls.train.stdout).group(1))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cwd)
        super().tearDownClass()

    def command(self, command, *size_flags, check=True, **placeholders):
        words = command.replace("<run>", getattr(self, "run_name", "")).split()
        words = [sys.executable if w == "python" else w for w in words]
        words = [os.path.join(REPO_ROOT, w) if w.startswith(("examples/", "benchmarks/")) else w for w in words]
        for placeholder, value in placeholders.items():
            words = [w.replace(placeholder, value) for w in words]
        result = subprocess.run(
            [*words, *size_flags], cwd=self.cwd, capture_output=True, text=True, timeout=900,
            env=user_environment(PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow"),
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{command} failed:\n{result.stderr[-3000:]}")
        # The scripts print their own lines, the runtimes' logs only with --verbose.
        logs = runtime_log_lines(result.stdout + result.stderr)
        if command.startswith("python examples/") and "--verbose" not in command and logs:
            raise AssertionError(f"{command} printed its runtimes' logs:\n" + "\n".join(logs[:20]))
        return result

    def test_train_prints_keras_progress(self):
        # --verbose (the runtimes' logs) is not TrainConfig.verbose (Keras' progress bar).
        self.assertIn("Epoch 2/2\n", self.train.stdout)
        self.assertIn(" - loss: ", self.train.stdout)

    def test_a_rerun_of_the_finished_command_changes_nothing(self):
        run_dir = os.path.join(self.cwd, "runs", self.run_name)
        before = {n: os.stat(os.path.join(run_dir, n)).st_mtime_ns for n in os.listdir(run_dir)}
        result = self.command(TRAIN, *TINY)
        self.assertIn("holds a finished run", result.stdout)
        self.assertIn(f"Final evaluation: top-1 {self.reported:.4f}", result.stdout)
        self.assertEqual({n: os.stat(os.path.join(run_dir, n)).st_mtime_ns for n in os.listdir(run_dir)}, before)

    def test_evaluate_reports_the_accuracy_of_the_run(self):
        # --model agreeing with the file is accepted, not a reason to rebuild the model.
        for command, extra in ((EVALUATE, []), (EVALUATE_DEPLOY, ["--model=mixer_t4"])):
            result = self.command(command, *extra)
            self.assertIn(f"on digits/test: top-1 {self.reported:.4f}", result.stdout)

    def test_final_model_loads_after_import_keras_mlp_alone(self):
        path = os.path.join(self.cwd, "runs", self.run_name, "final.keras")
        code = f"import keras, keras_mlp; print(keras.saving.load_model({path!r}).optimizer.iterations.numpy())"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
            env=dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow"),
        )
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assertEqual(result.stdout.split()[-1], "4")  # 2 epochs of 2 steps, optimizer included

    def test_predict_gets_the_accuracy_of_the_run_from_image_files(self):
        result = self.command(PREDICT)
        blocks = re.findall(r"^(\S+\.png)\n\s+[0-9.]+\s+(\S+) ", result.stdout, re.MULTILINE)
        self.assertLen(blocks, 360)
        correct = [os.path.basename(os.path.dirname(path)) == label for path, label in blocks]
        self.assertAlmostEqual(sum(correct) / len(correct), self.reported, places=4)

    def test_export_every_installed_format(self):
        result = self.command(EXPORT)
        for format in ("tf_saved_model", "tflite", "tflite_int8", "onnx"):
            self.assertRegex(result.stdout, rf"{format}: export/mixer_t4.* same top-1 100%")

    def test_export_verbose_shows_the_runtimes_logs(self):
        result = self.command(EXPORT_VERBOSE)
        self.assertRegex(result.stdout, r"tflite: export/mixer_t4\.tflite .* same top-1 100%")
        logs = runtime_log_lines(result.stderr)
        # The SavedModel writer (Python, through absl), TFLite's converter
        # (C++) and TFLite's interpreter (its minimal logger).
        self.assertTrue(any(re.search(r" fingerprinting_utils\.py:\d+\] ", line) for line in logs), logs)
        self.assertTrue(any(re.search(r" reader\.cc:\d+\] Reading SavedModel", line) for line in logs), logs)
        self.assertIn("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", logs)

    def test_finetune_from_the_run_directory(self):
        result = self.command(FINETUNE, "--epochs=1", "--steps_per_epoch=2", "--batch_size=8", "--image_size=32")
        self.assertIn("Final evaluation: top-1 ", result.stdout)
        # 32 px is twice the run's grid: the wider Appendix C Mixer, whose
        # metadata names the grid it is rebuilt with.
        run_dir = re.search(r"Run directory: (\S+)", result.stdout).group(1)
        final = os.path.join(self.cwd, run_dir, "final.keras")
        metadata = read_metadata(final)
        self.assertEqual(metadata.arguments["token_mixing_grid"], [4, 4])
        self.assertEqual(metadata.build().count_params(), keras.saving.load_model(final).count_params())

    def test_evaluate_and_fine_tune_the_run_at_another_resolution(self):
        # The run is at 16 px (a 4x4 grid): 24 px is a 6x6 grid, resampled.
        result = self.command(EVALUATE_RESOLUTION, "--image_size=24")
        accuracy = float(re.search(r"on digits/test: top-1 ([0-9.]+)", result.stdout).group(1))
        self.assertGreater(accuracy, 0.0)
        result = self.command(FINETUNE_RESOLUTION, *TINY[:3], "--image_size=24")
        self.assertIn("Final evaluation: top-1 ", result.stdout)

    def test_resolution_benchmark_prints_its_tables(self):
        result = self.command(
            RESOLUTION_BENCHMARK, "--families=mixer", "--sizes=24", "--finetune_size=24",
            "--finetune_epochs=1",
        )
        self.assertRegex(result.stdout, r"\| 24 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| - \|")
        self.assertRegex(result.stdout, r"from resampled [0-9.]+, token mixing re-initialised [0-9.]+")

    def test_xla_trains_the_default_run(self):
        # One epoch: another run than the class's (which XLA would only report as finished).
        result = self.command(XLA, *TINY[1:], "--epochs=1")
        self.assertIn("Training: mixer_t4 on digits", result.stdout)
        self.assertRegex(result.stdout, r"Final evaluation: top-1 [0-9.]+")

    def test_folder_with_a_held_out_fraction(self):
        flowers = image_folder(os.path.join(self.cwd, "flowers"), {"daisy": 10, "rose": 10})
        result = self.command(HOLDOUT, *TINY, **{"/data/flowers": flowers})
        self.assertIn("Training: mixer_t4 on ", result.stdout)
        self.assertIn("(18 images, 2 classes)", result.stdout)
        self.assertRegex(result.stdout, r"Final evaluation: top-1 [0-9.]+\n")
