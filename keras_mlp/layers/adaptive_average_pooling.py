import keras
import numpy as np
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config


def _bin_matrix(size, bins):
    """`(bins, size)` averaging weights of PyTorch's adaptive pooling: bin `i`
    covers `[floor(i * size / bins), ceil((i + 1) * size / bins))`."""
    matrix = np.zeros((bins, size), "float32")
    for i in range(bins):
        start, end = (i * size) // bins, -(-((i + 1) * size) // bins)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


@keras.saving.register_keras_serializable(package="keras_mlp")
class AdaptiveAveragePooling2D(keras.layers.Layer):
    """Average-pools `(batch, height, width, channels)` to a fixed grid.

    The bins of `torch.nn.AdaptiveAvgPool2d` (overlapping where the size is
    not a multiple of the grid), which the pyramid pooling module of PSPNet
    and UPerNet pools with. Written as two small matrix products over the
    static height and width, so it runs and exports on every backend.

    Args:
        output_size: int or `(rows, cols)` of the pooled grid.

    Example:

    >>> layer = AdaptiveAveragePooling2D(3)
    >>> layer(keras.ops.ones((2, 7, 10, 8))).shape
    (2, 3, 3, 8)
    """

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size, output_size)
        self.output_size = validation.int_pair("output_size", output_size)

    def build(self, input_shape):
        height, width = input_shape[1], input_shape[2]
        if height is None or width is None:
            raise validation.InputSizeError(
                "AdaptiveAveragePooling2D needs a static height and width. "
                f"Received: input_shape={input_shape}"
            )
        self._rows = _bin_matrix(height, self.output_size[0])
        self._cols = _bin_matrix(width, self.output_size[1])

    def call(self, inputs):
        rows = ops.cast(self._rows, inputs.dtype)
        cols = ops.cast(self._cols, inputs.dtype)
        # Matrix products on (batch, channels, height, width), not einsum:
        # TFLite cannot size the tensors of einsum's lowering with a dynamic batch.
        x = ops.transpose(inputs, (0, 3, 1, 2))
        x = ops.matmul(ops.matmul(rows, x), ops.transpose(cols))
        return ops.transpose(x, (0, 2, 3, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[3])

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "output_size")}
