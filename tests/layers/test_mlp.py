import keras
import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import MLP
from tests.testing import TestCase


class MLPTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            MLP,
            {"hidden_dim": 12, "output_dim": 6, "gelu_approximate": True, "dropout_rate": 0.1},
            input_shape=(2, 5, 8),
            expected_output_shape=(2, 5, 6),
            expected_num_trainable_weights=4,
        )

    @parameterized.parameters(True, False)
    def test_math(self, approximate):
        layer = MLP(hidden_dim=4, gelu_approximate=approximate)
        x = np.random.RandomState(0).normal(size=(3, 2)).astype("float32")
        y = layer(x)
        w1, b1, w2, b2 = (v.numpy() for v in layer.weights)
        h = x @ w1 + b1
        if approximate:
            h = 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h**3)))
        else:
            from scipy.special import erf

            h = 0.5 * h * (1 + erf(h / np.sqrt(2)))
        self.assertAllClose(y, h @ w2 + b2, atol=1e-5)

    @parameterized.parameters(
        ({"hidden_dim": 0}, "hidden_dim"),
        ({"hidden_dim": 4, "output_dim": -1}, "output_dim"),
        ({"hidden_dim": 4, "dropout_rate": 1.0}, "dropout_rate"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}`.*Received"):
            MLP(**kwargs)
