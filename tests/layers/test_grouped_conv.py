"""A grouped conv computed per group: Conv2D's outputs, plain conv ops."""

import keras
import numpy as np

from keras_mlp.layers import GroupedConv2D
from tests.testing import TestCase


class GroupedConv2DTest(TestCase):
    def test_same_outputs_and_weights_as_conv2d(self):
        x = np.random.RandomState(0).normal(size=(2, 6, 6, 8)).astype("float32")
        for groups, kernel in ((1, 1), (2, 3), (4, 5)):
            ours = GroupedConv2D(12, kernel, groups=groups, padding="same", use_bias=False)
            theirs = keras.layers.Conv2D(12, kernel, groups=groups, padding="same", use_bias=False)
            ours.build(x.shape)
            theirs.build(x.shape)
            theirs.set_weights(ours.get_weights())
            self.assertAllClose(ours(x), theirs(x), atol=1e-5)
            # Each output group sees its own input channels only.
            changed = x.copy()
            changed[..., -1] += 1.0
            moved = np.abs(keras.ops.convert_to_numpy(ours(changed) - ours(x))).max(axis=(0, 1, 2))
            self.assertEqual(int(np.sum(moved > 0)), 12 // groups)

        restored = GroupedConv2D.from_config(ours.get_config())
        self.assertEqual((type(restored), restored.groups), (GroupedConv2D, 4))
