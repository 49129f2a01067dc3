"""`keras_mlp.KerasHubBackbone`: every registered model as a KerasHub
feature-pyramid backbone, its presets and a KerasHub task on it."""

import os

import keras
import keras_hub
import numpy as np
import pytest

import keras_mlp
from keras_mlp.detection import KerasHubBackbone
from tests.registered_models import REPRESENTATIVES
from tests.testing import TestCase

LEVELS = {"P2": 4, "P3": 8, "P4": 16, "P5": 32}
# Models whose patch stride is no power of two: refused, as KerasHub's anchors
# assume exact strides.
ODD_PATCHES = ("mixer_h14",)


# Square sides, multiples of the coarsest stride, tried in order.
SIDES = (32, 64, 128, 224, 256)


def smallest_backbone(name):
    """`(side, backbone)` at the first of `SIDES` that `name` takes."""
    for side in SIDES:
        try:
            return side, KerasHubBackbone(name, image_shape=(side, side, 3))
        except keras_mlp.InputSizeError:
            continue
    raise AssertionError(f"{name} takes none of the sides {SIDES}.")


class KerasHubBackboneTest(TestCase):
    def check_pyramid(self, name):
        """P2..P5 at strides 4..32 of an input the model takes: a 64x128 one
        where the family takes any size, else its smallest square."""
        try:
            backbone = KerasHubBackbone(name, image_shape=(None, None, 3))
            height, width = 64, 128
        except keras_mlp.InputSizeError:
            side, backbone = smallest_backbone(name)
            height = width = side
        self.assertIsInstance(backbone, keras_hub.models.FeaturePyramidBackbone)
        features = keras.Model(backbone.inputs, backbone.pyramid_outputs)
        maps = features(np.zeros((1, height, width, 3), "float32"))
        self.assertEqual(sorted(maps), sorted(LEVELS))
        for level, stride in LEVELS.items():
            self.assertEqual(tuple(maps[level].shape[1:3]), (height // stride, width // stride), f"{name} {level}")

    def test_one_model_of_each_family(self):
        for name in REPRESENTATIVES:
            with self.subTest(name):
                self.check_pyramid(name)

    def test_default_size_is_any_where_the_family_takes_it(self):
        self.assertEqual(KerasHubBackbone("wavemlp_t_dw").image_shape, (None, None, 3))
        self.assertEqual(KerasHubBackbone("mixer_t4").image_shape, (32, 32, 3))

    @pytest.mark.slow
    def test_every_registered_model(self):
        for name in keras_mlp.list_models():
            with self.subTest(name):
                if name in ODD_PATCHES:
                    with self.assertRaisesRegex(keras_mlp.InputSizeError, f"{name} .* no power of two"):
                        KerasHubBackbone(name)
                else:
                    self.check_pyramid(name)

    def test_preset_round_trip_keeps_outputs(self):
        # An isotropic model: its pyramid's transposed convolutions are
        # new layers, which the preset must carry as well.
        backbone = KerasHubBackbone("mixer_t4")
        directory = os.path.join(self.get_temp_dir(), "preset")
        backbone.save_to_preset(directory)
        restored = keras_hub.models.Backbone.from_preset(directory)
        self.assertIsInstance(restored, KerasHubBackbone)
        x = np.random.RandomState(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
        expected = keras.Model(backbone.inputs, backbone.pyramid_outputs)(x)
        got = keras.Model(restored.inputs, restored.pyramid_outputs)(x)
        for level in LEVELS:
            self.assertAllEqual(got[level], expected[level])

    def test_weights_from_a_classifier_file(self):
        classifier = keras_mlp.create_model("mixer_t4", classes=3)
        for variable in classifier.weights:
            variable.assign(np.random.RandomState(1).normal(size=variable.shape) * 0.1)
        path = os.path.join(self.get_temp_dir(), "classifier.weights.h5")
        classifier.save_weights(path)
        backbone = KerasHubBackbone("mixer_t4", weights=path)
        blocks = [name for name in keras_mlp.block_names(classifier)]
        x = np.random.RandomState(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
        last_block = keras.Model(classifier.inputs, classifier.get_layer(blocks[-1]).output)(x)
        tokens = backbone.get_layer("backbone")(x)
        self.assertAllClose(tokens, last_block, atol=1e-6)

    def test_image_classifier_trains(self):
        backbone = KerasHubBackbone("mixer_t4")
        classifier = keras_hub.models.ImageClassifier(backbone=backbone, num_classes=3)
        classifier.compile(
            optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        before = [keras.ops.convert_to_numpy(v).copy() for v in backbone.trainable_weights]
        x = np.random.RandomState(0).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
        history = classifier.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))
        after = [keras.ops.convert_to_numpy(v) for v in backbone.trainable_weights]
        self.assertTrue(any(np.abs(a - b).max() > 0 for a, b in zip(after, before)), "the backbone did not train")

    def test_wrong_model_name(self):
        with self.assertRaisesRegex(ValueError, "no_such_model"):
            KerasHubBackbone("no_such_model")
