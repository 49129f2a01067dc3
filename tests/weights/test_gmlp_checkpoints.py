"""gMLP checkpoints: timm's layout, with timm's logits on every backend."""

import os

import timm
import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import gmlp_checkpoints
from tests.reference import timm_mlp_mixer, torch_parity
from tests.testing import TestCase, run_on_backend

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

TINY = dict(img_size=32, patch_size=8, embed_dim=16, num_classes=5)
KERAS_TINY = dict(patch_size=8, hidden_dim=16, num_blocks=2, input_shape=(32, 32, 3), classes=5)


class GMLPCheckpointsTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.reference = torch_parity.randomized(timm_mlp_mixer.gmlp(num_blocks=2, **TINY))
        self.images = torch_parity.images(2, 32)
        self.expected = torch_parity.logits(self.reference, self.images)

    def test_every_timm_key_is_mapped(self):
        state = {k: v.numpy() for k, v in self.reference.state_dict().items()}
        converted, unknown = gmlp_checkpoints.TIMM_GMLP.convert(state)
        self.assertEmpty(unknown)
        self.assertEqual(len(converted), len(state))
        self.assertAllEqual(
            converted["block_0/spatial_gating/proj/kernel"],
            self.reference.blocks[0].mlp_channels.gate.proj.weight.detach().numpy().T,
        )
        self.assertEqual(converted["block_1/fc1/kernel"].shape, (16, 96))

    def test_layer_norm_epsilons_are_timms(self):
        # Random-weight logits barely depend on epsilon; timm's values do
        # matter for its trained weights, whose features are not unit-scale.
        model = keras_mlp.GMLP(**KERAS_TINY)
        block, reference = model.get_layer("block_0"), self.reference.blocks[0]
        self.assertEqual(block.norm.epsilon, reference.norm.eps)
        self.assertEqual(block.spatial_gating.norm.epsilon, reference.mlp_channels.gate.norm.eps)
        self.assertEqual(model.get_layer("pre_head_norm").epsilon, self.reference.norm.eps)

    @parameterized.parameters("gmlp_s16_224_raa-10536d42.pth", "model.safetensors")
    def test_logits_match_timm(self, file_name):
        path = torch_parity.save(self.reference, self.get_temp_dir(), file_name)
        model = keras_mlp.GMLP(**KERAS_TINY, weights=path, classifier_activation=None)
        torch_parity.assert_logits_match(self, model, self.images, self.expected)

    # Other backends run in a subprocess each: CI's slow selection runs them.
    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_logits_match_timm_on_backend(self, backend):
        folder = self.get_temp_dir()
        path = torch_parity.save(self.reference, folder, "gmlp.pth")
        np.save(os.path.join(folder, "images.npy"), self.images)
        run_on_backend(
            backend,
            f"""
            import keras, numpy as np, keras_mlp
            model = keras_mlp.GMLP(**{KERAS_TINY!r}, weights={path!r}, classifier_activation=None)
            images = np.load({os.path.join(folder, "images.npy")!r})
            np.save({os.path.join(folder, "out.npy")!r}, keras.ops.convert_to_numpy(model(images)))
            """,
        )
        actual = np.load(os.path.join(folder, "out.npy"))
        self.assertLessEqual(torch_parity.relative_error(actual, self.expected), 1e-4)

    @parameterized.parameters("gmlp_ti16", "gmlp_s16", "gmlp_b16")
    @pytest.mark.slow
    def test_registered_size_matches_timm(self, name):
        reference = torch_parity.randomized(timm.create_model(f"{name}_224"), std=0.02)
        path = torch_parity.save(reference, self.get_temp_dir(), f"{name}.safetensors")
        model = keras_mlp.create_model(name, weights=path, classifier_activation=None)
        images = torch_parity.images(2, 224)
        torch_parity.assert_logits_match(self, model, images, torch_parity.logits(reference, images))
