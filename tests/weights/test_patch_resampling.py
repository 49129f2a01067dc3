"""Per-patch weights resampled to a patch grid of any size."""

import os

import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import patch_resampling
from keras_mlp.weights.patch_resampling import PatchWeight, adapt_patch_weights
from tests.testing import TestCase


def ramp(grid, units):
    """Smooth maps on `grid`: unit `u` is `u + row + 2 * col` (row-major patches)."""
    r, c = np.meshgrid(np.arange(grid[0]), np.arange(grid[1]), indexing="ij")
    return (r + 2 * c).reshape(-1, 1).astype("float32") + np.arange(units, dtype="float32")


class PatchResamplingTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(((4, 4), (6, 6)), ((4, 4), (3, 5)), ((6, 6), (4, 4)), ((2, 4), (4, 2)))
    def test_a_token_mixing_sum_keeps_its_magnitude(self, old, new):
        # A constant input through a constant kernel: the sum over the input
        # patches is the same on every grid, finer or coarser.
        kernel = np.full((old[0] * old[1], 3), 0.5, "float32")
        out = patch_resampling.resample(kernel, "p.", old, new)
        self.assertEqual(out.shape, (new[0] * new[1], 3))
        self.assertAllClose(out.sum(axis=0), kernel.sum(axis=0), rtol=1e-5)

    def test_output_patches_and_biases_are_maps_without_scaling(self):
        old, new = (4, 4), (7, 5)
        bias = np.full((16,), 2.0, "float32")
        self.assertAllClose(patch_resampling.resample(bias, "q", old, new), np.full((35,), 2.0))
        # A smooth map is still that map, sampled on the new grid's centres.
        kernel = ramp(old, 2).T  # (units, patches): fc2 of a token MLP
        out = patch_resampling.resample(kernel, ".q", old, new, interpolation="bilinear")
        self.assertEqual(out.shape, (2, 35))
        self.assertAllClose(out[:, 0], kernel[:, 0], atol=0.5)  # top-left corner
        self.assertGreater(out[0, -1], out[0, 0])

    def test_patch_to_patch_kernel_resamples_both_axes(self):
        old, new = (3, 3), (5, 5)
        kernel = np.eye(9, dtype="float32")
        out = patch_resampling.resample(kernel, "pq", old, new)
        self.assertEqual(out.shape, (25, 25))
        # The identity mixing stays local: the output patches at the old
        # grid's centre and corners draw most from the input patch at their place.
        for patch in (0, 4, 12, 20, 24):
            self.assertEqual(np.argmax(out[:, patch]), patch)

    def test_the_class_token_is_kept_and_not_scaled(self):
        kernel = np.concatenate([np.full((1, 4), 7.0), np.ones((16, 4))]).astype("float32")
        out = patch_resampling.resample(kernel, "ph", (4, 4), (8, 8), prefix_tokens=1)
        self.assertAllClose(out[0], kernel[0])
        self.assertAllClose(out[1:].sum(axis=0), kernel[1:].sum(axis=0), rtol=1e-5)

    def test_new_hidden_units_start_silent_but_trainable(self):
        initial_in = np.full((1 + 36, 6), 0.3, "float32")
        initial_out = np.full((6, 1 + 36), 0.3, "float32")
        fc1 = np.ones((17, 4), "float32")
        fc2 = np.ones((4, 17), "float32")
        new_fc1 = patch_resampling.resample(fc1, "ph", (4, 4), (6, 6), 1, initial=initial_in)
        new_fc2 = patch_resampling.resample(fc2, "gq", (4, 4), (6, 6), 1, initial=initial_out)
        self.assertAllClose(new_fc1[:, 4:], initial_in[:, 4:])  # computed from the model's init
        self.assertAllClose(new_fc2[4:], np.zeros((2, 37)))  # read by nothing yet
        fewer = patch_resampling.resample(fc1, "ph", (4, 4), (2, 2), 1, initial=np.zeros((5, 2)))
        self.assertEqual(fewer.shape, (5, 2))

    def test_adapter_uses_appendix_c_on_a_k_times_finer_grid_only(self):
        adapt = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (6, 6))
        kernel = np.random.RandomState(0).normal(size=(9, 9)).astype("float32")
        finer = adapt("mix/kernel", kernel, (36, 36))
        # Block-diagonal: patches of different strided sub-grids never mix.
        self.assertEqual(finer[0, 1], 0.0)
        self.assertEqual(finer[0, 2], kernel[0, 1])
        other = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (5, 5))("mix/kernel", kernel, (25, 25))
        self.assertAllClose(other, patch_resampling.resample(kernel, "pq", (3, 3), (5, 5)))

    def test_adapter_declines_what_it_cannot_adapt(self):
        adapt = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (6, 6))
        kernel = np.ones((9, 9), "float32")
        self.assertIsNone(adapt("other/kernel", kernel, (36, 36)))
        self.assertIsNone(adapt("mix/kernel", np.ones((8, 8), "float32"), (36, 36)))  # not a square grid
        self.assertIsNone(adapt("mix/kernel", kernel, (35, 35)))
        # A non-square checkpoint grid is read from `source_grid`.
        adapt = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (3, 3), source_grid=(2, 4))
        self.assertEqual(adapt("mix/kernel", np.ones((8, 8), "float32"), (9, 9)).shape, (9, 9))


# Every grid-bound family, tiny: (builder, arguments), trained at 32x32 (a 4x4 grid).
TINY_FAMILIES = {
    "mixer": (keras_mlp.MLPMixer, dict(patch_size=8, hidden_dim=16, num_blocks=1, tokens_mlp_dim=8, channels_mlp_dim=16)),
    "resmlp": (keras_mlp.ResMLP, dict(patch_size=8, hidden_dim=16, num_blocks=1)),
    "gmlp": (keras_mlp.GMLP, dict(patch_size=8, hidden_dim=16, num_blocks=1)),
    "feedforward": (keras_mlp.FeedForwardViT, dict(patch_size=8, hidden_dim=16, num_blocks=1, num_heads=2)),
}


class FamiliesAtAnyResolutionTest(TestCase, parameterized.TestCase):
    @parameterized.named_parameters(*((name, name) for name in TINY_FAMILIES))
    def test_a_checkpoint_loads_at_any_grid_and_bit_identical_at_its_own(self, family):
        builder, config = TINY_FAMILIES[family]
        trained = builder(**config, input_shape=(32, 32, 3), classes=3)
        _randomize(trained)
        path = os.path.join(self.get_temp_dir(), f"{family}.weights.h5")
        trained.save_weights(path)
        same = builder(**config, input_shape=(32, 32, 3), classes=3, weights=path)
        for want, got in zip(trained.weights, same.weights):
            self.assertAllEqual(got, want)
        x = np.random.RandomState(1).uniform(-1, 1, (2, 48, 64, 3)).astype("float32")
        for shape in ((48, 48, 3), (32, 64, 3), (16, 24, 3)):
            with self.subTest(shape=shape):
                model = builder(**config, input_shape=shape, classes=3, weights=path)
                # Everything not tied to the grid is the checkpoint's.
                self.assertAllEqual(model.get_layer("stem").kernel, trained.get_layer("stem").kernel)
                logits = keras.ops.convert_to_numpy(model(x[:, : shape[0], : shape[1]]))
                self.assertTrue(np.all(np.isfinite(logits)))


def _randomize(model, seed=0):
    """Non-trivial values in every variable (heads start at zero)."""
    rng = np.random.RandomState(seed)
    for variable in model.weights:
        variable.assign(rng.normal(0, 0.1, variable.shape).astype("float32"))


@pytest.mark.slow
class DefaultSizeCheckpointsTest(TestCase, parameterized.TestCase):
    """The issue's done-when: default-size checkpoints at 384x384 and 224x320."""

    @parameterized.named_parameters(
        ("mixer_b16", keras_mlp.MixerB16), ("resmlp_s12", keras_mlp.ResMLPS12),
        ("gmlp_s16", keras_mlp.GMLPS16), ("feedforward_tiny", keras_mlp.FeedForwardTiny),
    )
    def test_default_size_checkpoint_at_other_resolutions(self, constructor):
        trained = constructor()
        _randomize(trained)
        path = os.path.join(self.get_temp_dir(), "default.weights.h5")
        trained.save_weights(path)
        same = constructor(weights=path)
        for want, got in zip(trained.weights, same.weights):
            self.assertAllEqual(got, want)
        del same
        for shape in ((384, 384, 3), (224, 320, 3)):
            with self.subTest(shape=shape):
                model = constructor(weights=path, input_shape=shape)
                self.assertAllEqual(model.get_layer("stem").kernel, trained.get_layer("stem").kernel)
                x = np.random.RandomState(0).uniform(-1, 1, (1, *shape)).astype("float32")
                self.assertTrue(np.all(np.isfinite(keras.ops.convert_to_numpy(model(x)))))


@pytest.mark.slow
class ZeroShotTest(TestCase):
    """(a) of docs/resolution.md in small: about 35 s on 2 idle cores."""

    def test_resampled_token_mixing_beats_reinitialised_at_a_new_resolution(self):
        import tensorflow as tf

        from keras_mlp.data.embedded import load_digits

        data = load_digits()

        def images(split, size):
            x, y = data[split]
            x = tf.image.resize(x.astype("float32") / 127.5 - 1.0, (size, size)).numpy()
            return x, keras.utils.to_categorical(y, 10)

        config = dict(patch_size=4, hidden_dim=32, num_blocks=2, tokens_mlp_dim=16, channels_mlp_dim=64)
        keras.utils.set_random_seed(0)
        model = keras_mlp.MLPMixer(**config, input_shape=(16, 16, 3), classes=10, classifier_activation=None)
        model.compile(keras.optimizers.Adam(3e-3), keras.losses.CategoricalCrossentropy(from_logits=True))
        model.fit(*images("train", 16), batch_size=64, epochs=4, verbose=0)
        # Saved after training: the file holds the optimizer's state too.
        path = os.path.join(self.get_temp_dir(), "mixer16.weights.h5")
        model.save_weights(path)

        x, y = images("test", 24)  # a 6x6 grid: no Appendix C rule applies

        def accuracy(m):
            return float(np.mean(np.argmax(m.predict(x, verbose=0), -1) == np.argmax(y, -1)))

        resampled = keras_mlp.MLPMixer(**config, input_shape=(24, 24, 3), classes=10, weights=path)
        reinitialised = keras_mlp.MLPMixer(**config, input_shape=(24, 24, 3), classes=10, weights=path)
        fresh = keras_mlp.MLPMixer(**config, input_shape=(24, 24, 3), classes=10)
        for variable, initial in zip(reinitialised.weights, fresh.weights):
            if "/token_mixing/" in variable.path:
                variable.assign(initial)
        self.assertGreater(accuracy(resampled), accuracy(reinitialised) + 0.1)
