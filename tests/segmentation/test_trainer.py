"""The segmentation run: embedded digits, mocked tfds datasets, folders,
resumption and the errors raised before training starts."""

import os

import keras
import numpy as np
import pytest
import tensorflow_datasets as tfds
from absl.testing import parameterized

from keras_mlp.segmentation.trainer import SegmentationConfig, train_segmentation
from tests.segmentation.test_data import mock_examples, write_folder
from tests.testing import TestCase

TINY = dict(backbone="mixer_t4", channels=8, epochs=1, steps_per_epoch=1, batch_size=2, image_size=32, verbose=0)


class TrainSegmentationTest(TestCase, parameterized.TestCase):
    def config(self, **kwargs):
        return SegmentationConfig(**{**TINY, "model_dir": os.path.join(self.get_temp_dir(), "run"), **kwargs})

    # Whole runs take minutes on 2 shared cores; the default suite checks
    # the label mappings (tests/segmentation/test_data.py) and the errors.
    @pytest.mark.slow
    def test_digits_run_writes_and_finds_its_results(self):
        model, results = train_segmentation(self.config())
        self.assertEqual(model.output_shape, (None, 32, 32, 11))
        self.assertLen(results["class_iou"], 11)
        self.assertBetween(results["pixel_accuracy"], 0.0, 1.0)
        for name in ("final.keras", "history.csv", "results.json", "run.json"):
            self.assertTrue(os.path.exists(os.path.join(results["model_dir"], name)), name)
        restored = keras.saving.load_model(results["final_model"])
        x = np.random.RandomState(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
        self.assertAllClose(restored(x), model(x), atol=1e-5)
        # The same settings find the finished run and train nothing.
        _, again = train_segmentation(self.config())
        self.assertEqual(again["mean_iou"], results["mean_iou"])
        with self.assertRaisesRegex(ValueError, r"holds a run with other settings \(epochs: 1 -> 3"):
            os.remove(os.path.join(results["model_dir"], "results.json"))
            train_segmentation(self.config(epochs=3))

    @parameterized.parameters(("scene_parse150", "annotation", 150), ("oxford_iiit_pet", "segmentation_mask", 2))
    @pytest.mark.slow
    def test_tfds_datasets(self, name, mask_key, classes):
        with tfds.testing.mock_data(as_dataset_fn=mock_examples(mask_key)):
            model, results = train_segmentation(self.config(dataset=name))
        self.assertEqual(model.output_shape[-1], classes)
        # The stored masks of `mock_examples` hold, after mapping, these labels only.
        labelled = {"scene_parse150": {0, 1, 2, 6, 149}, "oxford_iiit_pet": {0, 1}}[name]
        scored = {k for k, iou in enumerate(results["class_iou"]) if iou is not None}
        self.assertContainsSubset(labelled, scored)

    def test_folder_errors_before_training(self):
        root = write_folder(os.path.join(self.get_temp_dir(), "data"), label=np.full((4, 6), 3, "uint8"))
        write_folder(root, split="validation", label=np.full((4, 6), 3, "uint8"))
        with self.assertRaisesRegex(ValueError, r"a\.png holds label 3, not below --classes=2"):
            train_segmentation(self.config(dataset=root, classes=2))
        self.assertFalse(os.path.exists(os.path.join(self.get_temp_dir(), "run")))

    def test_backbone_that_cannot_take_the_size(self):
        with self.assertRaisesRegex(ValueError, r"--backbone=mixer_t4 with --image_size=30: .*input_shape"):
            train_segmentation(self.config(image_size=30))
        self.assertFalse(os.path.exists(os.path.join(self.get_temp_dir(), "run")))
