import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import SpatialGatingUnit
from tests.testing import TestCase, layer_norm, randomize_weights


class SpatialGatingUnitTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            SpatialGatingUnit, {"layer_norm_epsilon": 1e-6}, input_shape=(2, 9, 16),
            expected_output_shape=(2, 9, 8), expected_num_trainable_weights=4,
        )

    def test_matches_paper_equations(self):
        unit = SpatialGatingUnit()
        x = np.random.RandomState(0).normal(size=(2, 4, 6)).astype("float32")
        unit(x)
        w = randomize_weights(unit)
        u, v = x[..., :3], x[..., 3:]
        v = layer_norm(v, w["norm/gamma"], w["norm/beta"], 1e-5)
        v = (v.transpose(0, 2, 1) @ w["proj/kernel"] + w["proj/bias"]).transpose(0, 2, 1)
        self.assertAllClose(unit(x), u * v, atol=1e-5)

    def test_starts_as_the_identity_on_the_first_half(self):
        # The paper's initialisation: spatial weights near zero, biases one.
        unit = SpatialGatingUnit()
        x = np.random.RandomState(0).normal(size=(2, 16, 8)).astype("float32")
        self.assertAllClose(unit(x), x[..., :4], atol=1e-4)
        self.assertAllEqual(unit.proj.bias.numpy(), np.ones(16, "float32"))
        self.assertLess(np.abs(unit.proj.kernel.numpy()).max(), 1e-5)

    @parameterized.parameters((None, 4, 7), (None, 4, None))
    def test_odd_or_unknown_channels_are_refused(self, *shape):
        with self.assertRaisesRegex(ValueError, "even, known channel count"):
            SpatialGatingUnit().build(shape)

    def test_invalid_epsilon(self):
        with self.assertRaisesRegex(ValueError, "`layer_norm_epsilon`.*Received"):
            SpatialGatingUnit(layer_norm_epsilon=0)
