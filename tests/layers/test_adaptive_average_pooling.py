import numpy as np
import torch
from absl.testing import parameterized

from keras_mlp.layers import AdaptiveAveragePooling2D
from tests.testing import TestCase


class AdaptiveAveragePooling2DTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            AdaptiveAveragePooling2D, {"output_size": (2, 3)}, input_shape=(2, 7, 9, 4),
            expected_output_shape=(2, 2, 3, 4), expected_num_trainable_weights=0,
        )

    @parameterized.parameters((7, 3), (8, 6), (5, 1), (4, 6))
    def test_matches_torch_adaptive_avg_pool(self, size, bins):
        x = np.random.RandomState(0).normal(size=(2, size, size + 3, 5)).astype("float32")
        expected = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x).permute(0, 3, 1, 2), bins)
        self.assertAllClose(AdaptiveAveragePooling2D(bins)(x), expected.permute(0, 2, 3, 1).numpy(), atol=1e-5)

    @parameterized.parameters(0, [(2, 3, 4)], "2")
    def test_invalid_output_size(self, value):
        with self.assertRaisesRegex(ValueError, "`output_size`.*Received"):
            AdaptiveAveragePooling2D(value)
