import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import TokensToGrid
from tests.testing import TestCase


class TokensToGridTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            TokensToGrid, {"grid": (2, 3), "prefix_tokens": 1}, input_shape=(2, 7, 4),
            expected_output_shape=(2, 2, 3, 4), expected_num_trainable_weights=0,
        )

    @parameterized.parameters(0, 1)
    def test_row_major_patches_without_prefix(self, prefix):
        x = np.random.RandomState(0).normal(size=(2, prefix + 6, 4)).astype("float32")
        y = TokensToGrid((2, 3), prefix_tokens=prefix)(x)
        self.assertAllClose(y[:, 1, 2], x[:, prefix + 5])
        self.assertAllClose(y[:, 0, 1], x[:, prefix + 1])

    def test_wrong_token_count(self):
        with self.assertRaisesRegex(ValueError, "expects 7 tokens"):
            TokensToGrid((2, 3), prefix_tokens=1)(np.zeros((1, 6, 4), "float32"))

    @parameterized.parameters(dict(grid=(2,)), dict(grid=(2, 0)), dict(grid=(2, 2), prefix_tokens=-1))
    def test_invalid_arguments(self, **kwargs):
        with self.assertRaisesRegex(ValueError, "Received"):
            TokensToGrid(**kwargs)
