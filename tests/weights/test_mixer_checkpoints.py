"""MLP-Mixer checkpoints: parity with timm and the official Flax layout."""

import os

import safetensors.torch
import timm
import torch

import jax
import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import mixer_checkpoints
from tests.reference import flax_mixer
from tests.testing import TestCase

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

TIMM_NAMES = {"mixer_s16": "mixer_s16_224", "mixer_b16": "mixer_b16_224"}


def random_images(batch, size=224, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, (batch, size, size, 3)).astype("float32")


def timm_mixer(timm_name, seed=0, **kwargs):
    """A timm Mixer with random weights everywhere, the head included."""
    torch.manual_seed(seed)
    model = timm.create_model(timm_name, pretrained=False, **kwargs).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.startswith("head") or "bias" in name or "norm" in name:
                param.normal_(0.0, 0.2)
    return model


def timm_logits(model, images):
    with torch.no_grad():
        return model(torch.from_numpy(images).permute(0, 3, 1, 2)).numpy()


class TimmParityTest(TestCase, parameterized.TestCase):
    @parameterized.product(model_name=sorted(TIMM_NAMES), file_format=["pth", "safetensors"])
    def test_logits_match_timm(self, model_name, file_format):
        reference = timm_mixer(TIMM_NAMES[model_name])
        path = os.path.join(self.get_temp_dir(), f"{model_name}.{file_format}")
        if file_format == "pth":
            torch.save({"model": reference.state_dict()}, path)  # wrapped, as train.py saves
        else:
            safetensors.torch.save_file(reference.state_dict(), path)
        model = keras_mlp.create_model(model_name, weights=path, classifier_activation=None)
        images = random_images(2)
        diff = np.max(np.abs(model.predict(images, verbose=0) - timm_logits(reference, images)))
        self.assertLessEqual(diff, 1e-4)

    def test_timm_layout_at_other_resolution_and_classes(self):
        reference = timm_mixer("mixer_s32_224", num_classes=7, img_size=96)
        path = os.path.join(self.get_temp_dir(), "s32.safetensors")
        safetensors.torch.save_file(reference.state_dict(), path)
        model = keras_mlp.MixerS32(
            weights=path, input_shape=(96, 96, 3), classes=7, classifier_activation=None
        )
        images = random_images(2, size=96)
        self.assertAllClose(model(images), timm_logits(reference, images), atol=1e-4)


TINY = dict(patch_size=16, num_blocks=2, hidden_dim=32, tokens_mlp_dim=16, channels_mlp_dim=64)


class FlaxParityTest(TestCase):
    def write_official_npz(self, size=64, num_classes=5, config=TINY):
        module = flax_mixer.MlpMixer(num_classes=num_classes, **config)
        images = random_images(2, size=size)
        params = module.init(jax.random.PRNGKey(0), images)["params"]
        # The official head is zero-initialised; random values make the test bite.
        flat = flax_mixer.flatten(params)
        rng = np.random.RandomState(1)
        flat = {k: v + rng.normal(0, 0.1, v.shape).astype(v.dtype) for k, v in flat.items()}
        path = os.path.join(self.get_temp_dir(), "Mixer-T_16.npz")
        np.savez(path, **flat)
        logits = module.apply({"params": _unflatten(flat)}, images)
        return path, images, np.asarray(logits)

    def tiny_mixer(self, **kwargs):
        return keras_mlp.MLPMixer(
            patch_size=16, hidden_dim=32, num_blocks=2, tokens_mlp_dim=16,
            channels_mlp_dim=64, classes=5, classifier_activation=None, **kwargs
        )

    def test_logits_match_flax(self):
        path, images, expected = self.write_official_npz()
        model = self.tiny_mixer(weights=path, input_shape=(64, 64, 3))
        self.assertTrue(model.get_layer("block_0").gelu_approximate)
        self.assertLessEqual(np.max(np.abs(model.predict(images, verbose=0) - expected)), 1e-4)

    @pytest.mark.slow
    def test_mixer_b16_logits_match_flax(self):
        path, images, expected = self.write_official_npz(
            size=224, num_classes=1000, config=keras_mlp.models.mlp_mixer.MODEL_CONFIGS["mixer_b16"]
        )
        model = keras_mlp.MixerB16(weights=path, classifier_activation=None)
        self.assertLessEqual(np.max(np.abs(model.predict(images, verbose=0) - expected)), 1e-4)

    def test_official_key_names(self):
        path, _, _ = self.write_official_npz()
        keys = set(np.load(path).files)
        self.assertIn("MixerBlock_1/token_mixing/Dense_0/kernel", keys)
        self.assertIn("pre_head_layer_norm/scale", keys)
        self.assertEqual(mixer_checkpoints.FLAX_MIXER.coverage(keys), len(keys))


def _unflatten(flat):
    nested = {}
    for key, value in flat.items():
        *parents, leaf = key.split("/")
        node = nested
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return nested


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
