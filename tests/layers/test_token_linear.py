import numpy as np
from absl.testing import parameterized
from keras import ops

from keras_mlp.layers import TokenLinear
from keras_mlp.models.flops import count_macs
from tests.testing import TestCase


class TokenLinearTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            TokenLinear, {"bias_initializer": "ones"}, input_shape=(2, 6, 5),
            expected_output_shape=(2, 6, 5), expected_num_trainable_weights=2,
        )

    @parameterized.parameters(("float32", 1e-5), ("mixed_bfloat16", 3e-2))
    def test_equals_a_dense_layer_on_the_transpose(self, dtype, atol):
        layer = TokenLinear(bias_initializer="random_normal", dtype=dtype)
        x = np.random.RandomState(0).normal(size=(2, 6, 5)).astype("float32")
        y = layer(x)
        kernel, bias = (ops.convert_to_numpy(w) for w in (layer.kernel, layer.bias))
        expected = (x.transpose(0, 2, 1) @ kernel + bias).transpose(0, 2, 1)
        self.assertEqual(y.dtype, layer.compute_dtype)
        self.assertAllClose(ops.cast(y, "float32"), expected, atol=atol)

    def test_multiply_accumulates(self):
        layer = TokenLinear()
        layer.build((None, 6, 5))
        self.assertEqual(count_macs(layer), 6 * 6 * 5)

    @parameterized.parameters((None, None, 5), (None, 6), (None, 2, 3, 4))
    def test_unknown_token_count_is_refused(self, *shape):
        with self.assertRaisesRegex(ValueError, "known number of tokens"):
            TokenLinear().build(shape)
