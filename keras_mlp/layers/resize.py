import keras
from keras import ops

from keras_mlp import validation

INTERPOLATIONS = ("bilinear", "nearest")


@keras.saving.register_keras_serializable(package="keras_mlp")
class Resize2D(keras.layers.Layer):
    """Resizes `(batch, height, width, channels)` maps to `(rows, cols)`.

    What a segmentation head upsamples with (half-pixel centres, PyTorch's
    `align_corners=False`). Not `keras.layers.Resizing`: that preprocessing
    layer makes the BatchNormalization after it in a model called without
    `training` (`model(x)`, and so `model.export`) normalise with the batch
    statistics and update its moving averages (Keras 3.15).

    Args:
        size: `(rows, cols)` of the output.
        interpolation: `"bilinear"` or `"nearest"`.

    Example:

    >>> Resize2D((8, 12))(keras.ops.ones((2, 4, 6, 3))).shape
    (2, 8, 12, 3)
    """

    def __init__(self, size, interpolation="bilinear", **kwargs):
        super().__init__(**kwargs)
        self.size = validation.int_pair("size", size)
        self.interpolation = validation.one_of("interpolation", interpolation, INTERPOLATIONS)

    def call(self, inputs):
        return ops.image.resize(inputs, self.size, interpolation=self.interpolation, data_format="channels_last")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.size, input_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "interpolation": self.interpolation})
        return config
