import keras
import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import Resize2D
from tests.testing import TestCase


class Resize2DTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            Resize2D, {"size": (6, 9), "interpolation": "nearest"}, input_shape=(2, 2, 3, 4),
            expected_output_shape=(2, 6, 9, 4), expected_num_trainable_weights=0,
        )

    def test_half_pixel_centres(self):
        # align_corners=False: a 2-pixel row [0, 4] doubles to [0, 1, 3, 4].
        x = np.array([0.0, 4.0], "float32").reshape(1, 1, 2, 1)
        self.assertAllClose(Resize2D((1, 4))(x)[0, 0, :, 0], [0.0, 1.0, 3.0, 4.0])

    def test_batch_norm_after_it_runs_in_inference_mode_by_default(self):
        # keras.layers.Resizing here made model(x) use the batch statistics.
        inputs = keras.Input((4, 4, 3))
        model = keras.Model(inputs, keras.layers.BatchNormalization()(Resize2D((8, 8))(inputs)))
        x = np.random.RandomState(0).uniform(size=(2, 4, 4, 3)).astype("float32")
        expected = model.predict(x, verbose=0)
        self.assertAllClose(model(x), expected, atol=1e-6)
        self.assertAllClose(model.predict(x, verbose=0), expected, atol=1e-6)

    @parameterized.parameters(
        dict(size=(2,)), dict(size=(2, 0)), dict(size=(True, 2)), dict(size=(2.7, 2)),
        dict(size=(2, 2), interpolation="bicubic"),
    )
    def test_invalid_arguments(self, **kwargs):
        with self.assertRaisesRegex(ValueError, "Received"):
            Resize2D(**kwargs)
