import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_mlp.layers import ConvBN
from tests import testing
from keras_mlp.models.reparameterize import randomize_batch_norms


class ConvBNTest(testing.TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            ConvBN,
            dict(filters=8, kernel_size=3, strides=2, padding=1, activation="relu"),
            input_shape=(2, 9, 9, 4),
            expected_output_shape=(2, 5, 5, 8),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=2,
        )

    @parameterized.parameters(
        dict(kernel_size=1, strides=1, padding=0, groups=1),
        dict(kernel_size=3, strides=2, padding=1, groups=2),
        dict(kernel_size=7, strides=2, padding=3, groups=1),
    )
    def test_reparameterize_keeps_outputs(self, **conv):
        layer = ConvBN(8, activation="gelu", **conv)
        x = np.random.default_rng(0).normal(size=(2, 10, 10, 4)).astype("float32")
        layer(x)
        randomize_batch_norms(layer)
        expected = keras.ops.convert_to_numpy(layer(x, training=False))
        layer.trainable = False
        layer.reparameterize()
        self.assertEqual([v.path.split("/", 1)[1] for v in layer.weights], ["conv/kernel", "conv/bias"])
        self.assertAllClose(layer(x), expected, atol=1e-5, rtol=1e-5)

    @parameterized.parameters(
        (dict(filters=0, kernel_size=1), "`filters`"),
        (dict(filters=6, kernel_size=1, groups=4), "multiple of `groups`"),
        (dict(filters=4, kernel_size=1, padding=-1), "`padding`"),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            ConvBN(**kwargs)


if __name__ == "__main__":
    tf.test.main()
