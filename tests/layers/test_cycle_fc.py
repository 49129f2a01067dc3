import torch
from torchvision.ops import deform_conv2d

import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import CycleFC
from keras_mlp.layers.cycle_fc import cycle_offsets
from tests.reference import cyclemlp_official
from tests.testing import TestCase, randomize_weights


class CycleFCTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            CycleFC,
            {"units": 6, "kernel_size": (3, 1), "use_bias": True},
            input_shape=(2, 5, 4, 7),
            expected_output_shape=(2, 5, 4, 6),
            expected_num_trainable_weights=2,
        )

    @parameterized.parameters((1, 3), (3, 1), (1, 5), (7, 1))
    def test_offsets_are_the_official_buffer(self, rows, cols):
        official = cyclemlp_official.CycleFC(11, 11, (rows, cols)).offset.numpy()
        self.assertAllEqual(cycle_offsets(11, (rows, cols)).reshape(official.shape), official)

    @parameterized.parameters((1, 3), (3, 1), (1, 5))
    def test_matches_deform_conv2d_with_the_official_offsets(self, rows, cols):
        # Eq. 3: each channel read at its offset, zero outside, then one matmul.
        layer = CycleFC(4, (rows, cols))
        x = np.random.RandomState(0).normal(size=(2, 6, 5, 7)).astype("float32")
        layer(x)
        w = randomize_weights(layer)
        offset = torch.from_numpy(cycle_offsets(7, (rows, cols)).reshape(1, 14, 1, 1).astype("float32"))
        expected = deform_conv2d(
            torch.from_numpy(x).permute(0, 3, 1, 2),
            offset.expand(2, -1, 6, 5),
            torch.from_numpy(w["kernel"].T[:, :, None, None].copy()),
            torch.from_numpy(w["bias"]),
        ).permute(0, 2, 3, 1)
        self.assertAllClose(layer(x), expected.numpy(), atol=1e-5)

    def test_channel_zero_reads_its_own_position_and_borders_read_zero(self):
        layer = CycleFC(3, (1, 3), use_bias=False)
        x = np.random.RandomState(0).normal(size=(1, 2, 4, 3)).astype("float32")
        layer(x)
        shifted = np.asarray(layer.shift_channels(x))
        self.assertAllEqual(shifted[..., 0], x[..., 0])  # offset 0
        self.assertAllEqual(shifted[:, :, :3, 1], x[:, :, 1:, 1])  # offset +1
        self.assertAllEqual(shifted[:, :, 3, 1], np.zeros((1, 2)))
        self.assertAllEqual(shifted[:, :, 1:, 2], x[:, :, :3, 2])  # offset -1
        self.assertAllEqual(shifted[:, :, 0, 2], np.zeros((1, 2)))

    def test_macs(self):
        layer = CycleFC(8, (1, 3))
        layer.build((None, 5, 4, 6))
        self.assertEqual(layer.own_macs((None, 5, 4, 6)), 5 * 4 * 6 * 8)

    @parameterized.parameters(
        ({"units": 0, "kernel_size": (1, 3)}, "units"),
        ({"units": 4, "kernel_size": (3, 3)}, "kernel_size"),
        ({"units": 4, "kernel_size": (1, 2)}, "kernel_size"),
        ({"units": 4, "kernel_size": 3}, "kernel_size"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}`.*Received"):
            CycleFC(**kwargs)
