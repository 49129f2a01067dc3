import numpy as np

from keras_mlp.layers import Affine
from tests.testing import TestCase


class AffineTest(TestCase):
    def test_layer(self):
        self.run_layer_test(
            Affine, {}, input_shape=(2, 3, 5), expected_output_shape=(2, 3, 5),
            expected_num_trainable_weights=2,
        )

    def test_per_channel_scale_and_shift(self):
        layer = Affine(name="norm")
        x = np.random.RandomState(0).normal(size=(2, 3, 4)).astype("float32")
        self.assertAllEqual(layer(x), x)  # the identity at initialisation
        alpha, beta = np.arange(1, 5, dtype="float32"), np.arange(-2, 2, dtype="float32")
        layer.alpha.assign(alpha)
        layer.beta.assign(beta)
        self.assertAllClose(layer(x), alpha * x + beta)
        self.assertEqual([v.path for v in layer.weights], ["norm/alpha", "norm/beta"])

    def test_unknown_channels_are_refused(self):
        with self.assertRaisesRegex(ValueError, r"`input_shape\[-1\]`.*Received"):
            Affine().build((None, 3, None))
