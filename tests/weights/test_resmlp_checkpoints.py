"""ResMLP checkpoints: the official release and timm's layout, with the
reference logits on every backend."""

import os

import torch
from timm.models.mlp_mixer import checkpoint_filter_fn

import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import resmlp_checkpoints
from keras_mlp.weights.key_mapping import pick_key_map
from tests.reference import resmlp_official, timm_mlp_mixer, torch_parity
from tests.testing import TestCase, run_on_backend

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

TINY = dict(img_size=32, patch_size=8, embed_dim=16, num_classes=5)
KERAS_TINY = dict(patch_size=8, hidden_dim=16, num_blocks=2, input_shape=(32, 32, 3), classes=5)
OFFICIAL_SIZES = {
    "resmlp_s12": resmlp_official.resmlp_12,
    "resmlp_s24": resmlp_official.resmlp_24,
    "resmlp_s36": resmlp_official.resmlp_36,
    "resmlp_b24": resmlp_official.resmlpB_24,
}


def numpy_state(module):
    return {k: v.numpy() for k, v in module.state_dict().items()}


class ResMLPCheckpointsTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.official = torch_parity.randomized(resmlp_official.resmlp_models(depth=2, **TINY))
        self.timm = timm_mlp_mixer.resmlp(num_blocks=2, **TINY).eval()
        self.timm.load_state_dict(checkpoint_filter_fn(self.official.state_dict(), self.timm))
        self.images = torch_parity.images(2, 32)
        self.expected = torch_parity.logits(self.official, self.images)

    def test_reference_matches_timm_conversion(self):
        # The official re-statement and timm's port of its checkpoints agree,
        # so each is a check on the other.
        self.assertAllClose(torch_parity.logits(self.timm, self.images), self.expected, atol=1e-5)

    def test_each_layout_is_picked_and_fully_mapped(self):
        for state, layout in (
            (numpy_state(self.official), resmlp_checkpoints.OFFICIAL_RESMLP),
            (numpy_state(self.timm), resmlp_checkpoints.TIMM_RESMLP),
        ):
            self.assertIs(pick_key_map(state, resmlp_checkpoints.SPEC.key_maps, "test"), layout)
            self.assertEqual(layout.coverage(state), len(state))

    def test_both_layouts_give_the_same_keras_weights(self):
        official, unknown = resmlp_checkpoints.OFFICIAL_RESMLP.convert(numpy_state(self.official))
        self.assertEmpty(unknown)
        ported, unknown = resmlp_checkpoints.TIMM_RESMLP.convert(numpy_state(self.timm))
        self.assertEmpty(unknown)
        self.assertEqual(sorted(official), sorted(ported))
        for path in official:
            self.assertAllEqual(official[path], ported[path])
        self.assertEqual(official["block_1/norm2/alpha"].shape, (16,))
        self.assertAllEqual(
            official["block_0/token_mixing/kernel"],
            self.official.blocks[0].attn.weight.detach().numpy().T,
        )

    @parameterized.parameters(
        ("official", "resmlp_12_dist.pth"), ("timm", "model.safetensors"), ("timm", "resmlp.pth")
    )
    def test_logits_match_the_reference(self, layout, file_name):
        path = torch_parity.save(getattr(self, layout), self.get_temp_dir(), file_name)
        model = keras_mlp.ResMLP(**KERAS_TINY, weights=path, classifier_activation=None)
        torch_parity.assert_logits_match(self, model, self.images, self.expected)

    # Other backends run in a subprocess each: CI's slow selection runs them.
    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_logits_match_the_reference_on_backend(self, backend):
        folder = self.get_temp_dir()
        paths = [
            torch_parity.save(self.official, folder, "official.pth"),
            torch_parity.save(self.timm, folder, "timm.safetensors"),
        ]
        np.save(os.path.join(folder, "images.npy"), self.images)
        run_on_backend(
            backend,
            f"""
            import keras, numpy as np, keras_mlp
            images = np.load({os.path.join(folder, "images.npy")!r})
            for i, path in enumerate({paths!r}):
                model = keras_mlp.ResMLP(**{KERAS_TINY!r}, weights=path, classifier_activation=None)
                np.save({folder!r} + f"/out{{i}}.npy", keras.ops.convert_to_numpy(model(images)))
            """,
        )
        for i in range(len(paths)):
            actual = np.load(os.path.join(folder, f"out{i}.npy"))
            self.assertLessEqual(torch_parity.relative_error(actual, self.expected), 1e-4)

    @parameterized.parameters(*sorted(OFFICIAL_SIZES))
    @pytest.mark.slow
    def test_registered_size_matches_the_official_code(self, name):
        reference = torch_parity.randomized(OFFICIAL_SIZES[name](), std=0.02)
        path = torch_parity.save(reference, self.get_temp_dir(), f"{name}.pth")
        model = keras_mlp.create_model(name, weights=path, classifier_activation=None)
        images = torch_parity.images(2, 224)
        torch_parity.assert_logits_match(self, model, images, torch_parity.logits(reference, images))
