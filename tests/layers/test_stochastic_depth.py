import numpy as np

from keras_mlp.layers import StochasticDepth
from tests.testing import TestCase


class StochasticDepthTest(TestCase):
    def test_layer(self):
        self.run_layer_test(
            StochasticDepth,
            {"rate": 0.2, "seed": 1},
            input_shape=(4, 3, 5),
            expected_output_shape=(4, 3, 5),
            expected_num_trainable_weights=0,
        )

    def test_identity_at_inference(self):
        x = np.random.RandomState(0).normal(size=(8, 3)).astype("float32")
        self.assertAllEqual(StochasticDepth(0.5)(x, training=False), x)

    def test_drops_whole_samples_and_rescales(self):
        x = np.ones((2000, 4, 3), "float32")
        y = StochasticDepth(0.25, seed=0)(x, training=True).numpy()
        per_sample = y.reshape(2000, -1)
        # Every sample is either dropped entirely or kept and scaled by 1/0.75.
        self.assertTrue(np.all((per_sample == 0).all(1) | np.isclose(per_sample, 1 / 0.75).all(1)))
        self.assertNear((per_sample[:, 0] == 0).mean(), 0.25, 0.04)

    def test_invalid_rate(self):
        with self.assertRaisesRegex(ValueError, "`rate` must be in"):
            StochasticDepth(1.0)
