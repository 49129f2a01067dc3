import keras
import numpy as np
from absl.testing import parameterized

import keras_mlp
from keras_mlp.segmentation import STRIDES, backbone_features, feature_pyramid
from tests.registered_models import TINY_MODELS
from tests.segmentation.tiny import KINDS, tiny_backbone
from tests.testing import TestCase


class FeaturePointsTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*KINDS)
    def test_four_maps_at_strides_4_to_32(self, kind):
        features = backbone_features(tiny_backbone(kind))
        images = keras.Input((32, 32, 3))
        pyramid = feature_pyramid(features, images)
        self.assertEqual([tuple(x.shape[1:3]) for x in pyramid], [(32 // s, 32 // s) for s in STRIDES])

    def test_staged_backbone_gives_its_stage_outputs(self):
        backbone = tiny_backbone("repmlpnet")
        features = backbone_features(backbone)
        self.assertEqual(
            [tuple(o.shape) for o in features.outputs],
            [tuple(backbone.output[f"stage{s}_block_0"].shape) for s in range(4)],
        )
        images = keras.Input((32, 32, 3), name="images")
        model = keras.Model(images, feature_pyramid(features, images))
        # Its stages are the pyramid: nothing is resampled.
        self.assertEqual([layer.name for layer in model.layers], ["images", "backbone"])

    def test_vit_class_token_is_dropped(self):
        backbone = tiny_backbone("feedforward_vit")
        features = backbone_features(backbone)
        images = keras.Input((32, 32, 3))
        grid = keras.Model(images, feature_pyramid(features, images)[1])
        x = np.random.RandomState(0).normal(size=(1, 32, 32, 3)).astype("float32")
        tokens = keras.ops.convert_to_numpy(backbone(x)["block_1"])
        self.assertEqual(tokens.shape[1], 1 + 4 * 4)
        self.assertAllClose(grid(x)[0], tokens[0, 1:].reshape(4, 4, -1))

    def test_registered_name_loads_backbone_weights(self):
        backbone = keras_mlp.create_model("mixer_t4", include_top=False, features_only=True, input_shape=(28, 28, 3))
        path = self.get_temp_dir() + "/mixer.weights.h5"
        backbone.save_weights(path)
        model = keras_mlp.UPerNet("mixer_t4", classes=2, backbone_weights=path, input_shape=(28, 28, 3), channels=8)
        for saved, loaded in zip(backbone.weights, model.get_layer("backbone").weights):
            self.assertAllClose(saved, loaded)
        self.assertEqual(model.name, "upernet_mixer_t4")

    def test_bad_backbones(self):
        # A size that does not fit is an `InputSizeError`, the rest plain `ValueError`s.
        with self.assertRaisesRegex(
            keras_mlp.InputSizeError, r"backbone='mixer_t4' cannot be built with input_shape=\(30, 30, 3\)"
        ):
            backbone_features("mixer_t4", (30, 30, 3))
        with self.assertRaisesRegex(ValueError, "features_only=True"):
            backbone_features(TINY_MODELS["mlp_mixer"](include_top=False))
        with self.assertRaisesRegex(ValueError, "`backbone_weights` applies to a backbone given by name"):
            backbone_features(tiny_backbone("mlp_mixer"), backbone_weights="x.weights.h5")
        with self.assertRaisesRegex(keras_mlp.InputSizeError, r"`input_shape` \(64, 64, 3\) differs"):
            backbone_features(tiny_backbone("mlp_mixer"), (64, 64, 3))
