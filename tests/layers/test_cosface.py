import keras
import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import CosFace
from tests.layers import margin_reference
from tests.testing import TestCase


class CosFaceTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        layer = self.run_layer_test(
            CosFace, {"num_classes": 5, "margin": 0.4}, input_shape=(2, 8), expected_output_shape=(2, 5),
            expected_num_trainable_weights=1,
        )
        self.assertEqual((CosFace(5).scale, CosFace(5).margin), (64.0, 0.35))  # the paper's
        self.assertEqual(layer.margin, 0.4)

    def test_angles_near_zero_and_near_pi(self):
        embeddings, kernel, labels, _ = margin_reference.planar_case(0.35)
        layer = CosFace(4)
        layer.build([(None, 2), (None,)])
        layer.kernel.assign(kernel)
        logits = keras.ops.convert_to_numpy(layer([embeddings, labels]))
        self.assertAllClose(logits, margin_reference.cosface(embeddings, kernel, labels), atol=1e-3)
        target = logits[np.arange(len(labels)), labels]
        self.assertAllClose(target[[0, -1]], [64 * (1 - 0.35), 64 * (-1 - 0.35)], atol=1e-3)

    def test_labels_of_shape_batch_by_one(self):
        rng = np.random.RandomState(2)
        embeddings = rng.normal(size=(6, 4)).astype("float32")
        labels = np.array([0, 1, 2, 0, 1, 2])
        layer = CosFace(3)
        self.assertAllClose(layer([embeddings, labels[:, None]]), layer([embeddings, labels]))

    def test_margin_survives_mixed_precision(self):
        layer = CosFace(3, dtype="mixed_float16")
        embeddings = np.random.RandomState(3).normal(size=(4, 8)).astype("float16")
        logits = layer([embeddings, np.array([0, 1, 2, 0])])
        self.assertEqual(logits.dtype, "float32")

    def test_unit_must_be_positive(self):
        with self.assertRaisesRegex(ValueError, "`num_classes`.*Received"):
            CosFace(0)
        with self.assertRaisesRegex(ValueError, "`scale`.*Received"):
            CosFace(3, scale=-1.0)
