import numpy as np
from absl.testing import parameterized
from scipy.special import erf

from keras_mlp.layers import ResMLPBlock
from tests.testing import TestCase, randomize_weights


def gelu(x):
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


class ResMLPBlockTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            ResMLPBlock,
            {"mlp_ratio": 2, "layer_scale_init": 0.1, "drop_path_rate": 0.1, "dropout_rate": 0.1},
            input_shape=(2, 9, 16),
            expected_output_shape=(2, 9, 16),
            # 2 Affine x 2, token mixing 2, MLP 4, 2 LayerScales.
            expected_num_trainable_weights=12,
        )

    def test_matches_paper_equations(self):
        block = ResMLPBlock(mlp_ratio=3, layer_scale_init=0.5)
        x = np.random.RandomState(0).normal(size=(2, 4, 5)).astype("float32")
        block(x)
        w = randomize_weights(block)
        u = x * w["norm1/alpha"] + w["norm1/beta"]
        tokens = (u.transpose(0, 2, 1) @ w["token_mixing/kernel"] + w["token_mixing/bias"]).transpose(0, 2, 1)
        h = x + w["ls1/gamma"] * tokens
        u = h * w["norm2/alpha"] + w["norm2/beta"]
        mlp = gelu(u @ w["channel_mixing/fc1/kernel"] + w["channel_mixing/fc1/bias"])
        mlp = mlp @ w["channel_mixing/fc2/kernel"] + w["channel_mixing/fc2/bias"]
        self.assertAllClose(block(x), h + w["ls2/gamma"] * mlp, atol=1e-4)
        self.assertEqual(w["channel_mixing/fc1/kernel"].shape, (5, 15))

    def test_layer_scale_starts_near_identity(self):
        block = ResMLPBlock(layer_scale_init=1e-6)
        x = np.random.RandomState(0).normal(size=(2, 4, 8)).astype("float32")
        self.assertAllClose(block(x), x, atol=1e-4)
        self.assertAllEqual(block.ls2.gamma.numpy(), np.full(8, 1e-6, "float32"))

    def test_weight_paths_are_stable(self):
        block = ResMLPBlock(name="block_3")
        block.build((None, 4, 5))
        self.assertEqual(
            sorted(v.path for v in block.weights),
            sorted(
                f"block_3/{p}"
                for p in (
                    "norm1/alpha", "norm1/beta", "token_mixing/kernel", "token_mixing/bias",
                    "ls1/gamma", "norm2/alpha", "norm2/beta", "channel_mixing/fc1/kernel",
                    "channel_mixing/fc1/bias", "channel_mixing/fc2/kernel",
                    "channel_mixing/fc2/bias", "ls2/gamma",
                )
            ),
        )

    @parameterized.parameters(
        ({"mlp_ratio": 0}, "mlp_ratio"),
        ({"layer_scale_init": -1.0}, "layer_scale_init"),
        ({"drop_path_rate": 1.0}, "drop_path_rate"),
        ({"dropout_rate": -0.1}, "dropout_rate"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}`.*Received"):
            ResMLPBlock(**kwargs)

    def test_unknown_patch_count_is_refused(self):
        with self.assertRaisesRegex(ValueError, "known number of tokens"):
            ResMLPBlock().build((None, None, 8))
