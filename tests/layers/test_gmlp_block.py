import numpy as np
from absl.testing import parameterized
from scipy.special import erf

from keras_mlp.layers import GMLPBlock
from tests.testing import TestCase, layer_norm, randomize_weights


class GMLPBlockTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            GMLPBlock,
            {"mlp_ratio": 2, "drop_path_rate": 0.1, "dropout_rate": 0.1, "layer_norm_epsilon": 1e-5},
            input_shape=(2, 9, 16),
            expected_output_shape=(2, 9, 16),
            # norm 2, fc1 2, gating norm 2 and proj 2, fc2 2.
            expected_num_trainable_weights=10,
        )

    def test_matches_paper_equations(self):
        block = GMLPBlock(mlp_ratio=2)
        x = np.random.RandomState(0).normal(size=(2, 4, 5)).astype("float32")
        block(x)
        w = randomize_weights(block)
        y = layer_norm(x, w["norm/gamma"], w["norm/beta"], 1e-6) @ w["fc1/kernel"] + w["fc1/bias"]
        y = 0.5 * y * (1 + erf(y / np.sqrt(2)))
        u, v = y[..., :5], y[..., 5:]
        v = layer_norm(v, w["spatial_gating/norm/gamma"], w["spatial_gating/norm/beta"], 1e-5)
        proj = w["spatial_gating/proj/kernel"], w["spatial_gating/proj/bias"]
        v = (v.transpose(0, 2, 1) @ proj[0] + proj[1]).transpose(0, 2, 1)
        expected = x + (u * v) @ w["fc2/kernel"] + w["fc2/bias"]
        self.assertAllClose(block(x), expected, atol=1e-4)

    def test_weight_shapes(self):
        block = GMLPBlock(name="block_2")
        block.build((None, 49, 32))
        shapes = {v.path: tuple(v.shape) for v in block.weights}
        self.assertEqual(shapes["block_2/fc1/kernel"], (32, 192))
        self.assertEqual(shapes["block_2/spatial_gating/norm/gamma"], (96,))
        self.assertEqual(shapes["block_2/spatial_gating/proj/kernel"], (49, 49))
        self.assertEqual(shapes["block_2/fc2/kernel"], (96, 32))

    @parameterized.parameters(
        ({"mlp_ratio": -2}, "mlp_ratio"),
        ({"drop_path_rate": 1.5}, "drop_path_rate"),
        ({"dropout_rate": 1.0}, "dropout_rate"),
        ({"layer_norm_epsilon": 0}, "layer_norm_epsilon"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}`.*Received"):
            GMLPBlock(**kwargs)

    def test_odd_gating_width_is_refused(self):
        with self.assertRaisesRegex(ValueError, "must be even.*mlp_ratio=1.5"):
            GMLPBlock(mlp_ratio=1.5).build((None, 4, 5))
