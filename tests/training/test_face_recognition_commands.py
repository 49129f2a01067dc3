"""The commands of docs/face_recognition.md, run as written at a tiny size.

As in test_documented_commands.py: `python` is this interpreter, `examples/`
the repository's, placeholders (`<run>`, `/data/...`, `a.png`) real paths, and
size flags appended.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import keras
import numpy as np
import pytest

from keras_mlp.face import glyphs
from keras_mlp.face.identities import glyphs_protocol
from keras_mlp.face.insightface_bin import write_bin
from tests.face.test_identities import people
from tests.testing import REPO_ROOT, TestCase

TRAIN = "python examples/train_face_recognition.py"
EVALUATE = "python examples/evaluate_face_recognition.py --weights=runs/<run>"
COMPARE = "python examples/evaluate_face_recognition.py --weights=runs/<run> --compare=a.png,b.png"
EXPORT = "python examples/export.py --weights=runs/<run>/final.keras --verify"
REAL = (
    "python examples/train_face_recognition.py --model=repmlp_face_res50 --dataset=/data/ms1m "
    "--verification=/data/lfw.bin --recipe=insightface"
)
TINY = ["--epochs=1", "--steps_per_epoch=2", "--batch_size=8", "--image_size=16", "--embedding_dim=8"]


def write_pair(folder, images):
    """Writes `images[0]` and `images[1]` as `a.png` and `b.png`, the files the commands name."""
    for name, image in zip(("a.png", "b.png"), images):
        keras.utils.save_img(os.path.join(folder, name), image, scale=False)


def run_command(cwd, command, *size_flags, run_name="", **placeholders):
    """Runs documented `command` in `cwd`; its stdout, or an error with its output."""
    words = command.replace("<run>", run_name).split()
    words = [sys.executable if w == "python" else w for w in words]
    words = [os.path.join(REPO_ROOT, w) if w.startswith("examples/") else w for w in words]
    for placeholder, value in placeholders.items():
        words = [w.replace(placeholder, value) for w in words]
    result = subprocess.run(
        [*words, *size_flags], cwd=cwd, capture_output=True, text=True, timeout=2400,
        env=dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow"),
    )
    if result.returncode != 0:
        raise AssertionError(f"{command} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _docs():
    with open(os.path.join(REPO_ROOT, "docs", "face_recognition.md"), encoding="utf-8") as f:
        return f.read()


class FaceDocsTest(TestCase):
    def test_the_commands_are_in_the_docs(self):
        text = _docs()
        for command in (TRAIN, EVALUATE, COMPARE, EXPORT, REAL):
            self.assertIn(command, text)

    def test_every_command_of_the_page_is_run_here(self):
        blocks = re.findall(r"```bash\n(.*?)\n```", _docs(), re.S)
        self.assertCountEqual(blocks, [TRAIN, EVALUATE, COMPARE, EXPORT, REAL])


@pytest.mark.slow
class RunFaceCommandsTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cwd = tempfile.mkdtemp()
        cls.train = cls.command(cls, TRAIN, *TINY)
        (cls.run_name,) = os.listdir(os.path.join(cls.cwd, "runs"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cwd)
        super().tearDownClass()

    def command(self, command, *size_flags, **placeholders):
        return run_command(self.cwd, command, *size_flags, run_name=getattr(self, "run_name", ""), **placeholders)

    def test_train_prints_verification_on_unseen_characters_and_the_raw_pixels(self):
        self.assertRegex(self.train, r"Verification on 300 unseen characters: accuracy 0\.\d+ \(10-fold")
        self.assertIn("TAR@FAR=0.001", self.train)
        self.assertRegex(self.train, r"300 unseen characters, raw pixels: verification accuracy 0\.\d+")
        self.assertTrue(os.path.isfile(os.path.join(self.cwd, "runs", self.run_name, "roc.png")))

    def test_evaluate_reproduces_the_run_and_draws_the_roc(self):
        accuracy = re.search(r"accuracy (0\.\d+) \(10-fold", self.train).group(1)
        roc = os.path.join(self.cwd, "runs", self.run_name, "roc.png")
        os.remove(roc)
        output = self.command(EVALUATE)
        self.assertIn(f"verification accuracy {accuracy}", output)
        self.assertTrue(os.path.isfile(roc))

    def test_compare_two_faces(self):
        write_pair(self.cwd, glyphs.render("ab", 1, 16, seed=0).images)
        self.assertRegex(self.command(COMPARE), r"cosine similarity -?\d\.\d{4}: (the same person|different people)")

    def test_export_the_embedder(self):
        output = self.command(EXPORT)
        lines = re.findall(
            r"(\S+): export/mixer_t4_face_embedder\S*  max \|embedding diff\| (\S+), min cosine to Keras (\S+)", output
        )
        self.assertLessEqual({"tf_saved_model", "tflite"}, {line[0] for line in lines}, output)
        for format, diff, cosine in lines:
            self.assertGreater(float(cosine), 0.999, format)
            if format != "tflite_int8":
                self.assertLess(float(diff), 1e-4, format)

    def test_real_data_command_on_a_small_identity_folder(self):
        import tensorflow as tf

        ms1m = people(os.path.join(self.cwd, "ms1m"), {"ann": 2, "bob": 2}, size=(56, 56))
        lfw = os.path.join(self.cwd, "lfw.bin")
        face = tf.io.encode_png(np.zeros((56, 56, 3), "uint8")).numpy()
        write_bin(lfw, [face] * 20, [True, False] * 5)
        output = self.command(
            REAL, "--epochs=1", "--steps_per_epoch=1", "--batch_size=2", "--image_size=56", "--embedding_dim=8",
            **{"/data/ms1m": ms1m, "/data/lfw.bin": lfw},
        )
        self.assertIn("Verification on lfw.bin: accuracy", output)


# Pairs of the default run's verification set compared one by one with
# --compare: pair 0 shows two renderings of one unseen character (cosine 0.762
# in the measured run, threshold 0.296), pair 3 two unseen characters (0.007).
# Pair 1, two characters too, scored 0.317: one of the 7.1% of single pairs
# the measured run judges wrong (docs/face_recognition.md).
COMPARED_PAIRS = (0, 3)


@pytest.mark.slow
class DefaultFaceRunTest(TestCase):
    """The default command at full size in an empty folder, as docs/face_recognition.md
    reports it, then two of its unseen pairs compared as the page shows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cwd = tempfile.mkdtemp()
        cls.output = run_command(cls.cwd, TRAIN)
        (cls.run_name,) = os.listdir(os.path.join(cls.cwd, "runs"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cwd)
        super().tearDownClass()

    def test_the_embedder_learns_what_raw_pixels_cannot(self):
        output = self.output
        accuracy = float(re.search(r"Verification on 300 unseen characters: accuracy (0\.\d+)", output).group(1))
        pixels = float(re.search(r"raw pixels: verification accuracy (0\.\d+)", output).group(1))
        # Measured 0.928 against 0.595 for the raw pixels: the issue asks for 0.90 and 0.20 more.
        self.assertGreaterEqual(accuracy, 0.90, output)
        self.assertGreaterEqual(accuracy - pixels, 0.20, output)

    def test_compare_says_same_for_one_character_and_different_for_two(self):
        _, pairs = glyphs_protocol(32)
        for index in COMPARED_PAIRS:
            write_pair(self.cwd, pairs.images[2 * index : 2 * index + 2])
            verdict = run_command(self.cwd, COMPARE, run_name=self.run_name)
            self.assertIn("the same person" if pairs.issame[index] else "different people", verdict, index)
