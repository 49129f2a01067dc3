import numpy as np
from absl.testing import parameterized
from keras import ops

from keras_mlp.layers import MLPMixerBlock
from tests.testing import TestCase


def layer_norm(x, gamma, beta, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def mlp(x, w1, b1, w2, b2):
    from scipy.special import erf

    h = x @ w1 + b1
    return (0.5 * h * (1 + erf(h / np.sqrt(2)))) @ w2 + b2


class MLPMixerBlockTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            MLPMixerBlock,
            {
                "tokens_mlp_dim": 8,
                "channels_mlp_dim": 32,
                "drop_path_rate": 0.1,
                "dropout_rate": 0.1,
                "gelu_approximate": True,
                "layer_norm_epsilon": 1e-5,
            },
            input_shape=(2, 9, 16),
            expected_output_shape=(2, 9, 16),
            expected_num_trainable_weights=12,
        )

    def test_matches_paper_equations(self):
        block = MLPMixerBlock(tokens_mlp_dim=6, channels_mlp_dim=10)
        x = np.random.RandomState(0).normal(size=(2, 4, 5)).astype("float32")
        y = block(x)
        weights = {v.path.split("/", 1)[1]: v.numpy() for v in block.weights}
        tm = [weights[f"token_mixing/fc{i}/{k}"] for i in (1, 2) for k in ("kernel", "bias")]
        cm = [weights[f"channel_mixing/fc{i}/{k}"] for i in (1, 2) for k in ("kernel", "bias")]
        u = layer_norm(x, weights["norm1/gamma"], weights["norm1/beta"])
        h = x + mlp(u.transpose(0, 2, 1), *tm).transpose(0, 2, 1)
        expected = h + mlp(layer_norm(h, weights["norm2/gamma"], weights["norm2/beta"]), *cm)
        self.assertAllClose(y, expected, atol=1e-5)

    @parameterized.parameters(("float32", 1e-5), ("mixed_bfloat16", 3e-2))
    def test_token_mixing_equals_the_mlp_on_the_transpose(self, dtype, atol):
        # The block mixes tokens as W^T x; the textbook form transposes,
        # runs the token-mixing MLP over the last axis, and transposes back.
        block = MLPMixerBlock(tokens_mlp_dim=6, channels_mlp_dim=10, dtype=dtype)
        x = np.random.RandomState(0).normal(size=(2, 4, 5)).astype("float32")
        y = block(x)
        u = ops.transpose(block.norm1(x), (0, 2, 1))
        h = x + ops.cast(ops.transpose(block.token_mixing(u), (0, 2, 1)), "float32")
        expected = h + ops.cast(block.channel_mixing(block.norm2(h)), "float32")
        self.assertEqual(y.dtype, block.compute_dtype)
        self.assertAllClose(ops.cast(y, "float32"), expected, atol=atol)

    def test_weight_paths_are_stable(self):
        block = MLPMixerBlock(tokens_mlp_dim=6, channels_mlp_dim=10, name="block_3")
        block.build((None, 4, 5))
        self.assertIn("block_3/token_mixing/fc1/kernel", [v.path for v in block.weights])

    @parameterized.parameters(
        ({"tokens_mlp_dim": 0, "channels_mlp_dim": 4}, "tokens_mlp_dim"),
        ({"tokens_mlp_dim": 4, "channels_mlp_dim": 2.5}, "channels_mlp_dim"),
        ({"tokens_mlp_dim": 4, "channels_mlp_dim": 4, "drop_path_rate": -0.1}, "drop_path_rate"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}`.*Received"):
            MLPMixerBlock(**kwargs)

    def test_unknown_patch_count_is_refused(self):
        block = MLPMixerBlock(tokens_mlp_dim=4, channels_mlp_dim=4)
        with self.assertRaisesRegex(ValueError, "known number of patches"):
            block.build((None, None, 8))
