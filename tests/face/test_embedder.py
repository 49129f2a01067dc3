"""FaceEmbedder over every registered backbone, and the RepMLP face backbone."""

import os

import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models.reparameterize import randomize_batch_norms
from tests.registered_models import REPRESENTATIVES, smallest_side
from tests.testing import TestCase

# The cheapest representative; the rest run under -m slow (the RepMLP face
# backbone test covers a reparameterizable one in the default suite).
DEFAULT_SUITE = ("mixer_t4",)


def _relative_error(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _faces(side, batch=3, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, (batch, side, side, 3)).astype("float32")


class FaceEmbedderTest(TestCase, parameterized.TestCase):
    def check_backbone(self, name, round_trip):
        side = smallest_side(name)
        embedder = keras_mlp.FaceEmbedder(name, embedding_dim=8, input_shape=(side, side, 3))
        randomize_batch_norms(embedder)
        x = _faces(side)
        y = self.assertDependsOnTheInput(embedder, x, (3, 8), 1e-4, "embeddings")
        backbone = embedder.get_layer(name)
        self.assertFalse(any(layer.name == "predictions" for layer in backbone.layers))
        if round_trip:
            path = os.path.join(self.get_temp_dir(), f"{name}_face.keras")
            embedder.save(path)
            self.assertAllClose(keras.saving.load_model(path)(x, training=False), y, atol=1e-5)

    def test_backbone(self):
        self.check_backbone(DEFAULT_SUITE[0], round_trip=True)

    @parameterized.parameters(*sorted(set(REPRESENTATIVES) - set(DEFAULT_SUITE)))
    @pytest.mark.slow
    def test_representative_backbone(self, name):
        self.check_backbone(name, round_trip=True)

    @parameterized.parameters(*keras_mlp.list_models())
    @pytest.mark.slow
    def test_every_registered_backbone(self, name):
        self.check_backbone(name, round_trip=False)

    def test_neck_is_insightface(self):
        embedder = keras_mlp.FaceEmbedder("mixer_t4", embedding_dim=16, input_shape=(32, 32, 3), dropout_rate=0.4)
        self.assertEqual(
            [layer.name for layer in embedder.layers],
            ["images", "mixer_t4", "features_bn", "dropout", "flatten", "fc", "embedding"],
        )
        self.assertEqual(embedder.get_layer("dropout").rate, 0.4)
        # The last BatchNorm has no learned scale (InsightFace fixes it at 1).
        self.assertEqual([w.name for w in embedder.get_layer("embedding").trainable_weights], ["beta"])
        self.assertEqual(embedder.get_layer("fc").kernel.shape, (64 * 128, 16))

    def test_a_backbone_model(self):
        backbone = keras_mlp.MixerT4(include_top=False, input_shape=(16, 16, 3))
        embedder = keras_mlp.FaceEmbedder(backbone, embedding_dim=4)
        self.assertEqual(embedder.input_shape, (None, 16, 16, 3))
        self.assertIs(embedder.get_layer("mixer_t4"), backbone)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "Unknown model 'resnet'"):
            keras_mlp.FaceEmbedder("resnet")
        with self.assertRaisesRegex(ValueError, "`embedding_dim`.*Received"):
            keras_mlp.FaceEmbedder("mixer_t4", embedding_dim=0)
        classifier = keras_mlp.MixerT4(input_shape=(16, 16, 3))
        with self.assertRaisesRegex(ValueError, "include_top=False"):
            keras_mlp.FaceEmbedder(classifier)
        backbone = keras_mlp.MixerT4(include_top=False, input_shape=(16, 16, 3))
        with self.assertRaisesRegex(ValueError, "`backbone_weights`"):
            keras_mlp.FaceEmbedder(backbone, backbone_weights="imagenet1k")
        with self.assertRaisesRegex(ValueError, "`backbone`.*Received"):
            keras_mlp.FaceEmbedder(3)


class RepMLPFaceResNetTest(TestCase):
    def check_reparameterized_embeddings(self, embedder, side):
        randomize_batch_norms(embedder)
        deploy = keras_mlp.reparameterize(embedder)
        self.assertFalse(any("repconv" in v.path for v in deploy.weights))
        x = _faces(side, batch=2)
        expected = keras.ops.convert_to_numpy(embedder(x, training=False))
        self.assertLessEqual(_relative_error(keras.ops.convert_to_numpy(deploy(x)), expected), 1e-5)

    def test_face_stem_in_a_small_embedder(self):
        # One RepMLP block in each of the second and third stages.
        backbone = keras_mlp.RepMLPResNet(
            num_blocks=(1, 2, 2, 1), stem="face", include_top=False, input_shape=(56, 56, 3)
        )
        self.assertEqual(backbone.output_shape, (None, 4, 4, 2048))
        self.assertEqual(backbone.get_layer("stem").kernel_size, 3)
        embedder = keras_mlp.FaceEmbedder(backbone, embedding_dim=8)
        self.check_reparameterized_embeddings(embedder, 56)
        with self.assertRaisesRegex(ValueError, "multiples of 56"):
            keras_mlp.RepMLPResNet(stem="face", input_shape=(84, 84, 3))

    @pytest.mark.slow
    def test_registered_face_backbone(self):
        self.assertIn("repmlp_face_res50", keras_mlp.list_models())
        model = keras_mlp.RepMLPFaceRes50(include_top=False, features_only=True)
        self.assertEqual(
            [t.shape[1:] for t in model.outputs], [(56, 56, 256), (28, 28, 512), (14, 14, 1024), (7, 7, 2048)]
        )
        blocks = [layer.name for layer in model.layers if isinstance(layer, keras_mlp.layers.RepMLPV1Block)]
        self.assertEqual(len(blocks), 3 + 5)  # the stride-1 blocks of c3 and c4
        self.assertTrue(all(b.startswith(("stage1_", "stage2_")) for b in blocks))

    @pytest.mark.slow
    def test_reparameterized_inside_a_face_embedder(self):
        self.check_reparameterized_embeddings(keras_mlp.FaceEmbedder("repmlp_face_res50"), 112)
