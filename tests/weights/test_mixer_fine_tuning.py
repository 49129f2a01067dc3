"""Loading Mixer checkpoints into other heads and resolutions."""

import os

import jax
import keras
import numpy as np

import keras_mlp
from tests.reference import flax_mixer
from tests.testing import TestCase

CONFIG = dict(patch_size=16, hidden_dim=32, num_blocks=2, tokens_mlp_dim=16, channels_mlp_dim=64)
# `.weights.h5` files do not say which GELU made them: name the Flax one.
FLAX = dict(CONFIG, gelu_approximate=True)


class MixerFineTuningTest(TestCase):
    def setUp(self):
        super().setUp()
        module = flax_mixer.MlpMixer(
            patch_size=16, num_classes=5, num_blocks=2, hidden_dim=32,
            tokens_mlp_dim=16, channels_mlp_dim=64,
        )
        params = module.init(jax.random.PRNGKey(0), np.zeros((1, 32, 32, 3), "float32"))
        rng = np.random.RandomState(0)
        self.flat = {
            k: v + rng.normal(0, 0.1, v.shape).astype("float32")
            for k, v in flax_mixer.flatten(params["params"]).items()
        }
        self.path = os.path.join(self.get_temp_dir(), "mixer_2x2.npz")
        np.savez(self.path, **self.flat)

    def test_new_classes_skip_the_head_with_a_warning(self):
        with self.assertWarnsRegex(UserWarning, "classifier head was not loaded"):
            model = keras_mlp.MLPMixer(**CONFIG, weights=self.path, input_shape=(32, 32, 3), classes=3)
        self.assertAllClose(model.get_layer("stem").kernel, self.flat["stem/kernel"])
        self.assertEqual(model.output_shape, (None, 3))

    def test_include_top_false_loads_the_backbone(self):
        model = keras_mlp.MLPMixer(
            **CONFIG, weights=self.path, input_shape=(32, 32, 3), include_top=False, pooling="avg"
        )
        self.assertEqual(model.output_shape, (None, 32))
        self.assertAllClose(
            model.get_layer("pre_head_norm").gamma, self.flat["pre_head_layer_norm/scale"]
        )

    def test_finer_grid_runs_the_pretrained_mlp_on_each_strided_subgrid(self):
        model = keras_mlp.MLPMixer(
            **CONFIG, weights=self.path, input_shape=(64, 64, 3), classes=5, token_mixing_grid=(2, 2)
        )
        block = model.get_layer("block_0")
        self.assertEqual(block.tokens_mlp_dim, 16 * 4)
        original = keras_mlp.MLPMixer(**CONFIG, weights=self.path, input_shape=(32, 32, 3), classes=5)
        old_mlp = original.get_layer("block_0").token_mixing
        new_mlp = block.token_mixing

        x = np.random.RandomState(1).normal(size=(2, 32, 16)).astype("float32")  # (b, c, 4x4)
        y = keras.ops.convert_to_numpy(new_mlp(x))
        grid = np.arange(16).reshape(4, 4)
        for a in range(2):
            for b in range(2):
                tokens = grid[a::2, b::2].reshape(-1)
                expected = keras.ops.convert_to_numpy(old_mlp(x[..., tokens]))
                self.assertAllClose(y[..., tokens], expected, atol=1e-5)

    def test_saved_keras_model_loads_at_a_finer_grid(self):
        trained = keras_mlp.MLPMixer(**CONFIG, weights=self.path, input_shape=(32, 32, 3), classes=5)
        path = os.path.join(self.get_temp_dir(), "trained.keras")
        trained.save(path)
        model = keras_mlp.MLPMixer(
            **CONFIG, weights=path, input_shape=(64, 64, 3), classes=5, token_mixing_grid=(2, 2)
        )
        self.assertEqual(model.get_layer("block_1").tokens_mlp_dim, 64)
        self.assertAllClose(model.get_layer("stem").kernel, trained.get_layer("stem").kernel)

    def test_any_other_grid_resamples_the_token_mlp_at_its_width(self):
        # At a grid that is not `K` times the file's 2x2 the token MLPs keep
        # their width (`K` times finer is Appendix C, tests/weights/test_checkpoint_grid.py).
        for shape, patches in (((48, 48, 3), 9), ((32, 48, 3), 6), ((16, 16, 3), 1)):
            with self.subTest(shape=shape):
                model = keras_mlp.MLPMixer(**CONFIG, weights=self.path, input_shape=shape, classes=5)
                fc1 = model.get_layer("block_0").token_mixing.fc1.kernel
                self.assertEqual(tuple(fc1.shape), (patches, 16))
                # A constant input reaches each hidden unit as strongly as on the 2x2 grid.
                self.assertAllClose(
                    np.sum(keras.ops.convert_to_numpy(fc1), axis=0),
                    self.flat["MixerBlock_0/token_mixing/Dense_0/kernel"].sum(axis=0), atol=1e-5,
                )

    def test_token_mixing_grid_rebuilds_a_finer_grid_model_without_weights(self):
        finer = keras_mlp.MLPMixer(
            **FLAX, weights=self.path, input_shape=(64, 64, 3), classes=5, token_mixing_grid=(2, 2)
        )
        path = os.path.join(self.get_temp_dir(), "finer.weights.h5")
        finer.save_weights(path)
        same_call = dict(FLAX, input_shape=(64, 64, 3), classes=5, token_mixing_grid=(2, 2))
        self.assertEqual(keras_mlp.MLPMixer(**same_call).count_params(), finer.count_params())
        rebuilt = keras_mlp.MLPMixer(**same_call, weights=path)
        x = np.random.RandomState(1).uniform(size=(2, 64, 64, 3)).astype("float32")
        self.assertAllClose(rebuilt(x), finer(x), atol=1e-6)
        # Without `token_mixing_grid` the file's token MLPs do not fit: one
        # error lists every mismatch.
        with self.assertRaises(keras_mlp.CheckpointError) as ctx:
            keras_mlp.MLPMixer(**FLAX, input_shape=(64, 64, 3), classes=5, weights=path)
        message = str(ctx.exception)
        self.assertIn("nothing was loaded", message)
        for block in (0, 1):
            self.assertIn(f"block_{block}/token_mixing/fc1/kernel: checkpoint (16, 64), model (16, 16)", message)

    def test_keras_weights_adapt_like_the_other_formats(self):
        trained = keras_mlp.MLPMixer(**FLAX, weights=self.path, input_shape=(32, 32, 3), classes=5)
        path = os.path.join(self.get_temp_dir(), "trained.weights.h5")
        trained.save_weights(path)
        with self.assertWarnsRegex(UserWarning, "classifier head was not loaded"):
            other_head = keras_mlp.MLPMixer(**FLAX, weights=path, input_shape=(32, 32, 3), classes=3)
        self.assertAllClose(other_head.get_layer("stem").kernel, trained.get_layer("stem").kernel)
        finer = keras_mlp.MLPMixer(
            **FLAX, weights=path, input_shape=(64, 64, 3), classes=5, token_mixing_grid=(2, 2)
        )
        from_npz = keras_mlp.MLPMixer(
            **FLAX, weights=self.path, input_shape=(64, 64, 3), classes=5, token_mixing_grid=(2, 2)
        )
        x = np.random.RandomState(2).uniform(size=(2, 64, 64, 3)).astype("float32")
        self.assertAllClose(finer(x), from_npz(x), atol=1e-6)
