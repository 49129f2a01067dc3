"""A checkpoint file's patch grid, read before the model is built: at `K`
times that grid every format gets the MLP-Mixer paper's exact Appendix C rule."""

import contextlib
import os
import re

import safetensors.torch
import timm
import timm.models._hub
from timm.models.mlp_mixer import MlpMixer
import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import jax
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import mixer_checkpoints
from keras_mlp.weights.checkpoint_grid import read_patch_grid
from keras_mlp.weights.checkpoint_io import read_state_dict
from keras_mlp.weights.loading import WeightsSource
from tests.reference import flax_mixer, timm_mlp_mixer, torch_parity
from tests.testing import REPO_ROOT, TestCase

# A 64 px checkpoint with patch 32: a 2x2 grid; 128 px is the same rule as
# 448 px for a 224 checkpoint (K = 2).
MIXER = dict(patch_size=32, hidden_dim=32, num_blocks=2, tokens_mlp_dim=16, channels_mlp_dim=128)
# timm's `mixer_s32_224`, narrower and shallower.
TIMM_MIXER = dict(img_size=64, patch_size=32, num_blocks=2, embed_dim=32, num_classes=5)
HEAD = dict(classes=5, classifier_activation=None)
FORMATS = ("npz", "pth", "safetensors", "hub_folder", "weights.h5", "keras")
GRID_WEIGHT = mixer_checkpoints.SPEC.grid_arguments["token_mixing_grid"]


def patch_repeated(images, patch_size, k):
    """Each `patch_size` patch of `images` repeated `k x k` times: the image
    on which Appendix C gives exactly the logits of `images`."""
    batch, height, width, channels = images.shape
    patches = images.reshape(batch, height // patch_size, patch_size, width // patch_size, patch_size, channels)
    repeated = np.repeat(np.repeat(patches, k, axis=1), k, axis=3)
    return repeated.reshape(batch, height * k, width * k, channels)


def write_mixer(folder, file_format):
    """A random 64 px Mixer checkpoint in `file_format`, as its publisher writes it."""
    path = os.path.join(folder, f"mixer.{file_format}")
    if file_format == "npz":
        module = flax_mixer.MlpMixer(num_classes=5, **MIXER)
        params = module.init(jax.random.PRNGKey(0), np.zeros((1, 64, 64, 3), "float32"))["params"]
        rng = np.random.RandomState(0)
        np.savez(path, **{k: v + rng.normal(0, 0.2, v.shape) for k, v in flax_mixer.flatten(params).items()})
        return path
    if file_format in ("weights.h5", "keras"):
        model = keras_mlp.MLPMixer(**MIXER, input_shape=(64, 64, 3), **HEAD)
        rng = np.random.RandomState(0)
        for variable in model.weights:
            variable.assign(rng.normal(0, 0.2, variable.shape))
        model.save_weights(path) if file_format == "weights.h5" else model.save(path)
        return path
    reference = torch_parity.randomized(MlpMixer(**TIMM_MIXER))
    if file_format == "hub_folder":
        # What `save_for_hf` writes into `config.json` besides the weights.
        reference.pretrained_cfg = timm.models.get_pretrained_cfg("mixer_s32_224").to_dict()
        timm.models._hub.save_for_hf(reference, path, safe_serialization=True)
        return path
    return torch_parity.save(reference, folder, f"mixer.{file_format}")


class MixerFileGridTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*FORMATS)
    def test_k_times_the_files_grid_gives_the_patch_repeated_images_logits(self, file_format):
        path = write_mixer(self.get_temp_dir(), file_format)
        images = torch_parity.images(2, 64)
        small = keras_mlp.MLPMixer(**MIXER, weights=path, input_shape=(64, 64, 3), **HEAD)
        # No `token_mixing_grid`: the file says its grid.
        large = keras_mlp.MLPMixer(**MIXER, weights=path, input_shape=(128, 128, 3), **HEAD)
        self.assertEqual(large.get_layer("block_0").tokens_mlp_dim, 16 * 4)
        self.assertEqual(read_patch_grid(WeightsSource(path, "mlp_mixer").path, mixer_checkpoints.SPEC.key_maps, GRID_WEIGHT), (2, 2))
        self.assertEqual(large.weights_arguments["token_mixing_grid"], [2, 2])
        error = torch_parity.relative_error(
            large.predict(patch_repeated(images, 32, 2), verbose=0), small.predict(images, verbose=0)
        )
        self.assertLessEqual(error, 1e-5)

    def test_a_widened_file_names_the_argument_it_needs(self):
        exact = keras_mlp.MLPMixer(
            **MIXER, weights=write_mixer(self.get_temp_dir(), "pth"), input_shape=(128, 128, 3), **HEAD
        )
        path = os.path.join(self.get_temp_dir(), "exact.weights.h5")
        exact.save_weights(path)
        with self.assertRaisesRegex(keras_mlp.CheckpointError, "loads with that `token_mixing_grid` passed"):
            keras_mlp.MLPMixer(**MIXER, weights=path, input_shape=(128, 128, 3), **HEAD)
        again = keras_mlp.MLPMixer(**MIXER, weights=path, input_shape=(128, 128, 3), token_mixing_grid=(2, 2), **HEAD)
        self.assertAllEqual(again.get_layer("block_0").token_mixing.fc1.kernel, exact.get_layer("block_0").token_mixing.fc1.kernel)

    def test_the_callers_grid_wins(self):
        source = WeightsSource(write_mixer(self.get_temp_dir(), "safetensors"), "mlp_mixer")
        spec = mixer_checkpoints.SPEC
        self.assertEqual(source.defaults(spec, token_mixing_grid=None), {"token_mixing_grid": (2, 2)})
        self.assertEqual(source.defaults(spec, token_mixing_grid=(1, 4)), {"token_mixing_grid": (1, 4)})

    def test_other_grids_resample_at_the_models_width(self):
        path = write_mixer(self.get_temp_dir(), "pth")
        for shape, patches in (((96, 96, 3), 9), ((64, 128, 3), 8), ((32, 32, 3), 1)):
            with self.subTest(shape=shape):
                model = keras_mlp.MLPMixer(**MIXER, weights=path, input_shape=shape, **HEAD)
                self.assertEqual(tuple(model.get_layer("block_0").token_mixing.fc1.kernel.shape), (patches, 16))

    @parameterized.parameters("npz", "pth", "safetensors")
    def test_a_selection_reads_only_its_arrays(self, file_format):
        path = write_mixer(self.get_temp_dir(), file_format)
        everything = read_state_dict(path)
        wanted = sorted(everything)[:2]
        selected = read_state_dict(path, select=lambda key: key in wanted)
        self.assertEqual(sorted(selected), wanted)
        for key in wanted:
            self.assertAllEqual(selected[key], everything[key])

    def test_a_non_square_file_grid_is_not_guessed(self):
        model = keras_mlp.MLPMixer(**MIXER, input_shape=(64, 128, 3), **HEAD)
        path = os.path.join(self.get_temp_dir(), "wide.weights.h5")
        model.save_weights(path)
        self.assertIsNone(read_patch_grid(path, mixer_checkpoints.SPEC.key_maps, GRID_WEIGHT))
        same = keras_mlp.MLPMixer(**MIXER, weights=path, input_shape=(64, 128, 3), **HEAD)
        self.assertAllEqual(same.get_layer("stem").kernel, model.get_layer("stem").kernel)


# ResMLP and gMLP keep their width at every grid; their files' patch-to-patch
# layers load block-diagonally at `K` times the grid all the same.
TINY = dict(img_size=32, patch_size=8, embed_dim=16, num_classes=5)
KERAS_TINY = dict(patch_size=8, hidden_dim=16, num_blocks=2, **HEAD)
FAMILIES = {
    "resmlp": (timm_mlp_mixer.resmlp, keras_mlp.ResMLP),
    "gmlp": (timm_mlp_mixer.gmlp, keras_mlp.GMLP),
}


class OtherFamiliesFileGridTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*FAMILIES)
    def test_k_times_the_files_grid_gives_the_patch_repeated_images_logits(self, family):
        reference, builder = FAMILIES[family]
        path = torch_parity.save(
            torch_parity.randomized(reference(num_blocks=2, **TINY)), self.get_temp_dir(), "model.pth"
        )
        images = torch_parity.images(2, 32)
        small = builder(**KERAS_TINY, weights=path, input_shape=(32, 32, 3))
        large = builder(**KERAS_TINY, weights=path, input_shape=(64, 64, 3))
        error = torch_parity.relative_error(
            large.predict(patch_repeated(images, 8, 2), verbose=0), small.predict(images, verbose=0)
        )
        self.assertLessEqual(error, 1e-5)


# The example of README.md and docs/resolution.md that says which rule each call gets.
MARKER = "<!-- runs-with-a-file -->"


def documented_example(page):
    with open(os.path.join(REPO_ROOT, page), encoding="utf-8") as f:
        (code,) = re.findall(MARKER + r"\n```python\n(.*?)```", f.read(), re.S)
    return code


@pytest.mark.slow
class DocumentedRulesTest(TestCase, parameterized.TestCase):
    """The pages' example, run as written on a timm `mixer_s16_224` file: at 448
    the patch-repeated image gets the 224 logits. Full size, about 25 s a page;
    `MixerFileGridTest` is the same rule small."""

    @parameterized.parameters("README.md", "docs/resolution.md")
    def test_each_call_gets_the_rule_the_page_says(self, page):
        reference = torch_parity.randomized(timm.create_model("mixer_s16_224", num_classes=10))
        folder = self.get_temp_dir()
        torch_parity.save(reference, folder, "mixer_s16.pth")
        calls = {}
        with contextlib.chdir(folder):
            exec(documented_example(page), {"keras_mlp": keras_mlp}, calls)
        same, exact, resampled = calls["same"], calls["exact"], calls["resampled"]
        self.assertEqual(exact.get_layer("block_0").tokens_mlp_dim, 4 * 256)
        self.assertEqual(tuple(resampled.get_layer("block_0").token_mixing.fc1.kernel.shape), (576, 256))
        images = torch_parity.images(1, 224)
        error = torch_parity.relative_error(
            exact.predict(patch_repeated(images, 16, 2), verbose=0), same.predict(images, verbose=0)
        )
        self.assertLessEqual(error, 1e-5)


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
