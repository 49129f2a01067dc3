"""Segmenting and scoring images of any size: whole, slide and resize inference
on known masks."""

from unittest import mock

import keras
import numpy as np
import tensorflow as tf

import keras_mlp
from keras_mlp.data.preprocessing import Preprocessing
from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.segmentation import predict as predict_segmentation
from keras_mlp.segmentation.metrics import evaluate_images
from keras_mlp.segmentation.predict import Segmenter
from tests.testing import TestCase

SIDE = 16


def metadata(model="mixer_t4", side=SIDE, channels=8):
    return ModelMetadata(
        model, {"input_shape": (side, side, 3), "classes": 3}, Preprocessing(input_size=side),
        ["background", "red", "never"], extra={"task": "segmentation", "head": "upernet", "channels": channels},
    )


def red_model():
    """Class 1 where the normalised red channel is positive, else class 0;
    class 2 never (a fixed 1x1 conv: logits (0, red, -10))."""
    images = keras.Input((SIDE, SIDE, 3))
    conv = keras.layers.Conv2D(3, 1)
    model = keras.Model(images, conv(images))
    kernel = np.zeros((1, 1, 3, 3), "float32")
    kernel[0, 0, 0, 1] = 1.0
    conv.set_weights([kernel, np.array([0.0, 0.0, -10.0], "float32")])
    return model


class EvaluateImagesTest(TestCase):
    def test_known_masks_at_their_own_size(self):
        # 24x40 images (not the model's 16x16): the left 18 columns red, the
        # right 18 black, the 4 columns between ignored. The label map calls
        # the top 4 red rows class 2, which the model never predicts.
        image = np.zeros((24, 40, 3), "uint8")
        image[:, :20, 0] = 255
        labels = np.zeros((24, 40), "uint8")
        labels[:, :18] = 1
        labels[:4, :18] = 2
        labels[:, 18:22] = 255
        dataset = tf.data.Dataset.from_tensors((image, labels)).repeat(2)
        for mode in ("slide", "resize"):
            scores = evaluate_images(Segmenter(red_model(), metadata(), mode), dataset)
            # class 0: 432 / 432; class 1: 360 / (360 + 72); class 2: 0 / 72.
            self.assertAllClose(scores["class_iou"], [1.0, 360 / 432, 0.0])
            self.assertAllClose(scores["mean_iou"], (1.0 + 360 / 432) / 3)
            self.assertAllClose(scores["pixel_accuracy"], 792 / 864)

    def test_slide_windows_cover_the_whole_image(self):
        # A 16x56 strip: windows at columns 0, 10, 20, ... cover it; every
        # pixel's class is the colour of its own column.
        image = np.zeros((16, 56, 3), "uint8")
        image[:, 5:12, 0] = image[:, 30:44, 0] = 255
        labels = Segmenter(red_model(), metadata(), "slide").labels(image)
        self.assertEqual(labels.shape, (16, 56))
        self.assertAllEqual(labels, np.broadcast_to((image[..., 0] > 0).astype("int32"), (16, 56)))


class SegmenterModesTest(TestCase):
    def test_grid_bound_backbone_slides(self):
        model = keras_mlp.UPerNet("mixer_t4", classes=3, input_shape=(SIDE, SIDE, 3), channels=8)
        self.assertEqual(Segmenter(model, metadata()).mode, "slide")
        with self.assertRaisesRegex(ValueError, r"mode='whole' needs a backbone that takes any input size; mixer_t4"):
            Segmenter(model, metadata(), "whole")
        with self.assertRaisesRegex(ValueError, r"`mode` must be one of"):
            Segmenter(model, metadata(), "tiles")

    def test_any_size_backbone_segments_whole_images_with_the_same_weights(self):
        def upernet(backbone, classes, input_shape, channels):
            # A tiny CycleMLP stands for the registered `backbone`.
            features = keras_mlp.CycleMLP(
                (8, 8, 8, 8), (1, 1, 1, 1), (2, 2, 2, 2), include_top=False, features_only=True,
                input_shape=input_shape,
            )
            return keras_mlp.UPerNet(features, classes=classes, channels=channels)

        with mock.patch.dict(predict_segmentation.HEADS, {"upernet": upernet}):
            model = upernet("cyclemlp_b1", 3, (32, 32, 3), 8)
            segmenter = Segmenter(model, metadata("cyclemlp_b1", side=32))
            self.assertEqual(segmenter.mode, "whole")
            rng = np.random.RandomState(0)
            image = rng.randint(0, 256, (32, 32, 3)).astype("uint8")
            x = (image[None].astype("float32") / 255.0 - 0.5) / 0.5
            self.assertAllClose(segmenter.logits(image), model.predict_on_batch(x)[0], atol=1e-5)
            # A 40x72 image runs whole, padded to 64x96, on the same weights.
            image = rng.randint(0, 256, (40, 72, 3)).astype("uint8")
            self.assertEqual(segmenter.labels(image).shape, (40, 72))
            rebuilt = segmenter.model_at((64, 96))
            self.assertEqual(rebuilt.input_shape, (None, 64, 96, 3))
            for ours, theirs in zip(rebuilt.get_weights(), model.get_weights()):
                self.assertAllEqual(ours, theirs)
