"""FeedForwardBlock: shapes, weights, the official block's math, config."""

import keras
import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import FeedForwardBlock
from tests.testing import TestCase


def gelu(x):
    return np.asarray(keras.ops.gelu(x, approximate=False))


def layer_norm(x, gamma, beta, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def mlp(x, layer):
    h = gelu(x @ layer.fc1.kernel.numpy() + layer.fc1.bias.numpy())
    return h @ layer.fc2.kernel.numpy() + layer.fc2.bias.numpy()


class FeedForwardBlockTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            FeedForwardBlock,
            dict(mlp_ratio=2.0, drop_path_rate=0.1, dropout_rate=0.1, layer_norm_epsilon=1e-5),
            input_shape=(2, 17, 8),
            expected_output_shape=(2, 17, 8),
            expected_num_trainable_weights=12,
        )

    def test_token_mlp_and_norm_span_all_tokens(self):
        block = FeedForwardBlock()
        block.build((None, 197, 192))
        # Official `linear_tiny`: the token axis includes the class token.
        self.assertEqual(block.norm2.gamma.shape, (197,))
        self.assertEqual(block.mlp2.fc1.kernel.shape, (197, 788))
        self.assertEqual(block.mlp1.fc1.kernel.shape, (192, 768))
        self.assertEqual(block.count_params(), 608_107)

    def test_matches_official_linear_block(self):
        block = FeedForwardBlock(mlp_ratio=2.0)
        x = np.random.RandomState(0).normal(size=(2, 5, 6)).astype("float32")
        block.build(x.shape)
        for w in block.weights:
            w.assign(np.random.RandomState(1).normal(size=w.shape).astype("float32"))
        y = x + mlp(layer_norm(x, block.norm1.gamma.numpy(), block.norm1.beta.numpy()), block.mlp1)
        y = y.transpose(0, 2, 1)
        y = y + mlp(layer_norm(y, block.norm2.gamma.numpy(), block.norm2.beta.numpy()), block.mlp2)
        self.assertAllClose(block(x), y.transpose(0, 2, 1), atol=1e-4)

    @parameterized.parameters(
        dict(kwargs=dict(mlp_ratio=0), message="mlp_ratio"),
        dict(kwargs=dict(drop_path_rate=1.0), message="drop_path_rate"),
        dict(kwargs=dict(dropout_rate=-0.1), message="dropout_rate"),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            FeedForwardBlock(**kwargs)

    def test_unknown_token_count_is_refused(self):
        with self.assertRaisesRegex(ValueError, "known number of tokens"):
            FeedForwardBlock().build((None, None, 6))
