import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import LayerScale
from tests.testing import TestCase


class LayerScaleTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            LayerScale, {"init_value": 0.1}, input_shape=(2, 3, 5),
            expected_output_shape=(2, 3, 5), expected_num_trainable_weights=1,
        )

    def test_scales_each_channel(self):
        layer = LayerScale(1e-5)
        x = np.random.RandomState(0).normal(size=(2, 3, 4)).astype("float32")
        self.assertAllClose(layer(x), 1e-5 * x)
        gamma = np.array([1.0, -2.0, 0.5, 3.0], "float32")
        layer.gamma.assign(gamma)
        self.assertAllClose(layer(x), gamma * x)

    @parameterized.parameters(0, -1e-4, "0.1", True)
    def test_invalid_init_value(self, value):
        with self.assertRaisesRegex(ValueError, "`init_value`.*Received"):
            LayerScale(value)
