import math

import keras
import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import ArcFace
from tests.layers import margin_reference
from tests.testing import TestCase


class ArcFaceTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        layer = self.run_layer_test(
            ArcFace, {"num_classes": 5}, input_shape=(2, 8), expected_output_shape=(2, 5),
            expected_num_trainable_weights=1,
        )
        self.assertEqual((layer.scale, layer.margin), (64.0, 0.5))  # the paper's

    @parameterized.parameters(0.5, 0.3, 1.2)
    def test_angles_near_zero_and_near_pi(self, margin):
        embeddings, kernel, labels, angles = margin_reference.planar_case(margin)
        layer = ArcFace(4, margin=margin)
        layer.build([(None, 2), (None,)])
        layer.kernel.assign(kernel)
        logits = keras.ops.convert_to_numpy(layer([embeddings, labels]))
        expected = margin_reference.arcface(embeddings, kernel, labels, margin=margin)
        # sin(theta) from float32 cosines near +-1 carries ~1e-4 of error.
        self.assertAllClose(logits, expected, atol=1e-2)
        target = logits[np.arange(len(labels)), labels]
        self.assertTrue(np.all(np.isfinite(target)))
        # The target logit never rises with the angle, across pi - m too
        # (float32 cannot tell 0 from 1e-6 rad, nor pi - 1e-4 from pi).
        self.assertTrue(np.all(np.diff(target) <= 1e-4), target)
        self.assertLess(target[-1], target[angles < np.pi - margin][-1])
        self.assertAllClose(target[0], 64 * math.cos(margin), atol=1e-3)

    def test_gradient_is_finite_on_a_class_centre_and_opposite_it(self):
        layer = ArcFace(3)
        layer.build([(None, 2), (None,)])
        layer.kernel.assign(np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]], "float32"))
        import tensorflow as tf

        embeddings = tf.Variable([[1.0, 0.0], [1.0, 0.0]])
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer([embeddings, np.array([0, 2])]))
        gradients = tape.gradient(loss, [embeddings, layer.kernel])
        for gradient in gradients:
            self.assertTrue(np.all(np.isfinite(gradient.numpy())))

    def test_without_labels_the_logits_are_scaled_cosines(self):
        rng = np.random.RandomState(1)
        embeddings = rng.normal(size=(4, 8)).astype("float32")
        layer = ArcFace(6)
        layer.build((None, 8))
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        self.assertAllClose(layer(embeddings), 64 * margin_reference.cosines(embeddings, kernel), atol=1e-4)

    @parameterized.parameters(0, -0.5, math.pi / 2, "0.5")
    def test_invalid_margin(self, margin):
        with self.assertRaisesRegex(ValueError, "`margin`.*Received"):
            ArcFace(10, margin=margin)
