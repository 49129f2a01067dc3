"""Predicting labels of image files: local checkpoints, label files, bad files, the CLI."""

import os
import shutil
import subprocess
import sys
import tempfile

import keras
import numpy as np
import pytest

import keras_mlp
from keras_mlp.classification.predict import image_paths, load_classifier, predict_files, prediction_weights
from keras_mlp.model_io.metadata import save_model
from keras_mlp.weights.registry import get_pretrained
from tests.registered_models import randomize_head
from tests.saved_models import TINY_METADATA
from tests.testing import REPO_ROOT, TestCase


class PredictTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp()
        rng = np.random.RandomState(0)
        os.makedirs(os.path.join(cls.dir, "photos", "day2"), exist_ok=True)
        cls.images = {
            "photos/a.png": rng.randint(0, 256, (80, 120, 3)).astype("uint8"),
            "photos/day2/b.jpg": rng.randint(0, 256, (100, 60, 3)).astype("uint8"),
        }
        for name, image in cls.images.items():
            keras.utils.save_img(os.path.join(cls.dir, name), image)
        cls.broken = os.path.join(cls.dir, "photos", "broken.jpg")
        with open(cls.broken, "wb") as f:
            f.write(b"\xff\xd8\xff truncated")
        with open(os.path.join(cls.dir, "photos", "notes.txt"), "w") as f:
            f.write("not an image")
        cls.labels = os.path.join(cls.dir, "classes.txt")
        with open(cls.labels, "w") as f:
            f.write("cat\ndog\nbird\n")
        cls.weights = os.path.join(cls.dir, "run.weights.h5")
        cls.model = keras_mlp.MixerS32(input_shape=(64, 64, 3), classes=3)
        randomize_head(cls.model)
        cls.model.save_weights(cls.weights)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)
        super().tearDownClass()

    def test_image_paths_walks_folders_for_images_only(self):
        paths = image_paths([os.path.join(self.dir, "photos"), "given.txt"])
        names = [os.path.relpath(p, self.dir) for p in paths[:-1]]
        self.assertEqual(names, ["photos/a.png", "photos/broken.jpg", "photos/day2/b.jpg"])
        self.assertEqual(paths[-1], "given.txt")

    def test_local_checkpoint_with_a_label_file(self):
        record = prediction_weights(self.weights, "mixer_s32", labels=self.labels, input_size=64)
        self.assertEqual((record.classes, record.preprocessing.input_size), (3, 64))
        self.assertEqual(record.preprocessing.mean, (0.485, 0.456, 0.406))
        model = load_classifier(record)
        self.assertAllClose(model.get_weights()[-2], self.model.get_weights()[-2])
        paths = [os.path.join(self.dir, name) for name in self.images]
        paths.insert(1, self.broken)
        paths.append(os.path.join(self.dir, "missing.png"))
        predictions = predict_files(model, record, paths, top=2, batch_size=1)
        self.assertEqual([p.path for p in predictions], paths)
        self.assertIn("not a readable image", predictions[1].error)
        self.assertEqual(predictions[3].error, "no such file")
        for prediction in (predictions[0], predictions[2]):
            self.assertIsNone(prediction.error)
            self.assertLen(prediction.top, 2)
            self.assertIn(prediction.top[0][1], ("cat", "dog", "bird"))
        # In bfloat16: the same classes, probabilities within bfloat16's rounding.
        fast = predict_files(model, record, paths, top=3, batch_size=1, dtype="bfloat16")
        exact = predict_files(model, record, paths, top=3, batch_size=1)
        for got, want in ((fast[0], exact[0]), (fast[2], exact[2])):
            self.assertEqual([c for c, _, _ in got.top], [c for c, _, _ in want.top])
            self.assertAllClose([p for _, _, p in got.top], [p for _, _, p in want.top], atol=0.02)
            self.assertGreaterEqual(prediction.top[0][2], prediction.top[1][2])

        # The same numbers as the eval pipeline by hand: shorter side to
        # floor(64 / 0.875) = 73 (120 -> int(109.5)), center 64x64 at
        # round(4.5), round(22.5), ImageNet mean/std.
        image = self.images["photos/a.png"].astype("float32")
        resized = keras.ops.image.resize(image, (73, 109), interpolation="bicubic", antialias=True)
        crop = np.clip(keras.ops.convert_to_numpy(resized)[4:68, 22:86], 0, 255)
        x = (crop / 255 - np.array(record.preprocessing.mean)) / np.array(record.preprocessing.std)
        expected = self.model.predict(x[None].astype("float32"), verbose=0)[0]
        self.assertAllClose(
            sorted(expected, reverse=True)[:2], [s for _, _, s in predictions[0].top], atol=1e-4
        )

    def test_preprocessing_from_a_pretrained_record(self):
        resolved = prediction_weights(
            self.weights, "mixer_s32", preprocessing="mixer_b16.goog_in21k_ft_in1k", input_size=64
        )
        reference = get_pretrained("mixer_b16.goog_in21k_ft_in1k")
        self.assertEqual(resolved.preprocessing, reference.preprocessing.replace(input_size=64))
        self.assertEqual((resolved.classes, resolved.class_names[281]), (1000, "n02123045"))
        self.assertEqual((resolved.model, resolved.weights), ("mixer_s32", self.weights))
        with self.assertRaisesRegex(ValueError, "--preprocessing is for checkpoint files"):
            prediction_weights("mixer_b16.goog_in21k_ft_in1k", preprocessing="mixer_b16.imagenet1k")

    def test_a_tag_keeps_its_record(self):
        resolved = prediction_weights("goog_in21k_ft_in1k", "mixer_b16")
        record = get_pretrained("mixer_b16.goog_in21k_ft_in1k")
        self.assertEqual((resolved.preprocessing, resolved.weights), (record.preprocessing, record.name))
        self.assertEqual(resolved.arguments["token_mixing_grid"], (14, 14))

    def test_saved_model_needs_nothing_else_and_refuses_disagreement(self):
        run = os.path.join(self.dir, "run")
        os.makedirs(run, exist_ok=True)
        trained = TINY_METADATA.build()
        randomize_head(trained)
        save_model(trained, os.path.join(run, "final.keras"), TINY_METADATA)
        record = prediction_weights(run)
        model = load_classifier(record)
        predictions = predict_files(model, record, [os.path.join(self.dir, "photos", "a.png")], top=3)
        top = predictions[0].top
        self.assertEqual(sorted(name for _, name, _ in top), ["bird", "cat", "dog"])
        self.assertAllClose(sum(p for _, _, p in top), 1.0, atol=1e-5)  # logits -> softmax
        two = os.path.join(self.dir, "two.txt")
        with open(two, "w") as f:
            f.write("cat\ndog\n")
        with self.assertRaisesRegex(ValueError, "names 2 classes, but the head of .* has 3"):
            prediction_weights(run, labels=two)
        larger_record = prediction_weights(run, input_size=24)
        larger = load_classifier(larger_record)
        self.assertEqual((larger.input_shape, larger_record.preprocessing.input_size), ((None, 24, 24, 3), 24))
        with self.assertRaisesRegex(ValueError, "holds a mixer_t4 model, not mixer_b16"):
            prediction_weights(run, model="mixer_b16")

    def test_labels_that_do_not_fit_the_checkpoint_head_are_an_error(self):
        path = os.path.join(self.dir, "plain.keras")
        self.model.save(path)
        four = os.path.join(self.dir, "four.txt")
        with open(four, "w") as f:
            f.write("cat\ndog\nbird\nfish\n")
        record = prediction_weights(path, "mixer_s32", labels=four, input_size=64)
        with self.assertRaisesRegex(ValueError, "has no classifier head of 4 classes"):
            load_classifier(record)

    def test_local_checkpoint_needs_labels(self):
        with self.assertRaisesRegex(ValueError, "`labels` is needed"):
            prediction_weights(self.weights, "mixer_s32")

    @pytest.mark.slow
    def test_command_line(self):
        result = subprocess.run(
            [
                sys.executable, os.path.join(REPO_ROOT, "examples", "predict.py"),
                "--model=mixer_s32", f"--weights={self.weights}", f"--labels={self.labels}",
                "--input_size=64", "--top_k=3", os.path.join(self.dir, "photos"),
            ],
            capture_output=True, text=True, cwd=self.dir,
            env=dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow"),
        )
        self.assertEqual(result.returncode, 1, result.stderr[-2000:])
        self.assertIn("broken.jpg: skipped: not a readable image", result.stderr)
        self.assertIn("1 of 3 files could not be classified.", result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], os.path.join(self.dir, "photos", "a.png"))
        self.assertLen(lines, 8)  # two images, a header and three classes each
