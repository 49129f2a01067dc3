"""Every registered backbone builds a UPerNet and trains one step.

The default suite runs the fastest backbone, `-m slow` the families'
`REPRESENTATIVES` and every registered name; nothing below knows which
family a backbone is of.
"""

import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from tests.registered_models import REPRESENTATIVES, smallest_side
from tests.testing import TestCase

DEFAULT_SUITE = "mixer_t4"
SLOW_NAMES = sorted(set(keras_mlp.list_models()) - set(REPRESENTATIVES))


class SegmentationConformanceTest(TestCase, parameterized.TestCase):
    def check_training_step(self, name):
        side = smallest_side(name)
        model = keras_mlp.UPerNet(name, classes=3, input_shape=(side, side, 3), channels=8)
        self.assertEqual(model.output_shape, (None, side, side, 3))
        model.compile(
            keras.optimizers.AdamW(1e-3),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
        )
        rng = np.random.RandomState(0)
        images = rng.uniform(-1, 1, (2, side, side, 3)).astype("float32")
        labels = rng.randint(0, 3, (2, side, side))
        labels[:, : side // 4] = 255
        before = [np.array(w) for w in model.get_layer("backbone").trainable_weights]
        history = model.fit(images, labels, batch_size=2, epochs=1, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))
        after = model.get_layer("backbone").trainable_weights
        self.assertTrue(any(np.abs(a - b).max() > 0 for a, b in zip(after, before)), "the backbone did not train")

    def test_fastest_backbone(self):
        self.check_training_step(DEFAULT_SUITE)

    # A UPerNet at a registered backbone's smallest size takes minutes to
    # build and step on 2 shared cores: the default suite runs one.
    @parameterized.parameters(*sorted(set(REPRESENTATIVES) - {DEFAULT_SUITE}))
    @pytest.mark.slow
    def test_representatives(self, name):
        self.check_training_step(name)

    @parameterized.parameters(*SLOW_NAMES)
    @pytest.mark.slow
    def test_every_registered_backbone(self, name):
        self.check_training_step(name)
