"""feature_extractor: every block's output of any registered model."""

import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from tests.registered_models import TINY_MODELS, images, smallest_model
from tests.testing import TestCase

DEFAULT_SUITE = ("mixer_s32", "repmlp_cifar")


class FeatureExtractorTest(TestCase, parameterized.TestCase):
    def check_blocks(self, model):
        names = keras_mlp.block_names(model)
        self.assertNotEmpty(names)
        features = keras_mlp.feature_extractor(model)
        self.assertEqual(features.name, f"{model.name}_features")
        x = images(model, batch=2)
        outputs = features.predict(x, verbose=0)
        self.assertEqual(list(outputs), names)
        for name in names:
            self.assertEqual(outputs[name].shape[0], 2)
            self.assertTrue(np.all(np.isfinite(outputs[name])))

    @parameterized.parameters(*sorted(TINY_MODELS), *DEFAULT_SUITE)
    def test_blocks_of_each_family(self, name):
        model = TINY_MODELS[name]() if name in TINY_MODELS else smallest_model(name)
        self.check_blocks(model)

    @parameterized.parameters(*keras_mlp.list_models())
    @pytest.mark.slow
    def test_blocks_of_every_registered_model(self, name):
        self.check_blocks(smallest_model(name))

    def test_block_names_follow_the_architecture(self):
        self.assertEqual(
            keras_mlp.block_names(keras_mlp.MixerS32(input_shape=(32, 32, 3))),
            [f"block_{i}" for i in range(8)],
        )
        net = TINY_MODELS["repmlpnet"]()
        self.assertEqual(
            keras_mlp.block_names(net),
            ["stage0_block_0", "stage1_block_0", "stage2_block_0", "stage3_block_0"],
        )
        # A block's output is its last layer: RepMLPNet blocks end at add2.
        features = keras_mlp.feature_extractor(net)
        self.assertIs(
            features.output["stage0_block_0"], net.get_layer("stage0_block_0_add2").output
        )

    def test_last_mixer_block_feeds_the_backbone_output(self):
        backbone = keras_mlp.MixerS32(input_shape=(64, 64, 3), include_top=False)
        features = keras_mlp.feature_extractor(backbone)
        x = images(backbone, batch=2)
        last = features.predict(x, verbose=0)["block_7"]
        expected = backbone.get_layer("pre_head_norm")(last)
        self.assertAllClose(
            keras.ops.reshape(expected, (2, 2, 2, 512)), backbone.predict(x, verbose=0), atol=1e-5
        )

    def test_shares_weights_with_the_model(self):
        model = TINY_MODELS["mlp_mixer"](include_top=False)
        features = keras_mlp.feature_extractor(model, ["block_1"])
        x = images(model, batch=1)
        before = features.predict(x, verbose=0)["block_1"]
        model.get_layer("stem").bias.assign(np.ones(16, "float32"))
        self.assertNotAllClose(before, features.predict(x, verbose=0)["block_1"])

    def test_chosen_layers(self):
        model = TINY_MODELS["mlp_mixer"]()
        features = keras_mlp.feature_extractor(model, ["stem", "block_1", "predictions"])
        outputs = features.predict(images(model, batch=3), verbose=0)
        self.assertEqual(
            {name: value.shape for name, value in outputs.items()},
            {"stem": (3, 4, 4, 16), "block_1": (3, 16, 16), "predictions": (3, 1000)},
        )

    def test_errors(self):
        model = TINY_MODELS["mlp_mixer"]()
        with self.assertRaisesRegex(ValueError, r"\['block_9'\] are not layers"):
            keras_mlp.feature_extractor(model, ["block_9"])
        with self.assertRaisesRegex(ValueError, "non-empty list"):
            keras_mlp.feature_extractor(model, "block_1")
        inputs = keras.Input((4,))
        plain = keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))
        with self.assertRaisesRegex(ValueError, "pass `layer_names`"):
            keras_mlp.feature_extractor(plain)
        with self.assertRaisesRegex(ValueError, "functional keras.Model"):
            keras_mlp.feature_extractor(keras.layers.Dense(2))
