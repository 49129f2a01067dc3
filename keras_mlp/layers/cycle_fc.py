import math

import keras
import numpy as np
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.initializers import fresh


def cycle_offsets(channels, kernel_size):
    """`(channels, 2)` integer `(dy, dx)` at which each input channel is read.

    The official `CycleFC.gen_offset`: with a `(1, K)` kernel channel `i`
    is read `(i + K // 2) % K - K // 2` columns away (0, 1, -1, 0, ... for
    `K = 3`); with `(K, 1)` as many rows away. The released checkpoints
    store these pairs, flattened, as the `(1, 2 * channels, 1, 1)` buffer
    `offset`.
    """
    rows, cols = kernel_size
    size = rows * cols
    steps = (np.arange(channels) + size // 2) % size - size // 2
    zeros = np.zeros(channels, dtype=steps.dtype)
    return np.stack([steps, zeros] if rows > 1 else [zeros, steps], axis=1)


@keras.saving.register_keras_serializable(package="keras_mlp")
class CycleFC(keras.layers.Layer):
    """Cycle fully-connected layer (CycleMLP, Chen et al., arXiv 2107.10224).

    On a `(batch, height, width, channels)` map, with a `(1, K)` kernel
    (Eq. 3 of the paper, `S_H = 1`, `S_W = K`):

        y[h, w, :] = sum_c x[h, w + delta_w(c), c] * W[c, :] + b
        delta_w(c) = (c + K // 2) mod K - K // 2

    and with `(K, 1)` the same along rows. Every input channel is read at
    its own fixed offset, so the layer sees a `1 x K` (or `K x 1`) window
    at the cost of a channel FC, and it has no weight tied to the input
    size. Positions outside the map read zero.

    The official code runs this as `torchvision.ops.deform_conv2d` with the
    integer offsets as a buffer. Here it is a shift of each channel with
    zero fill, then one matmul: the same numbers, and plain ops that every
    backend and export format (TFLite, ONNX) runs.

    Args:
        units: int, output channels.
        kernel_size: `(1, K)` or `(K, 1)` with `K` odd: the window's extent.
        use_bias: bool.
        kernel_initializer: initializer of the `(channels, units)` kernel.
        bias_initializer: initializer of the bias.

    Example:

    >>> layer = CycleFC(8, (1, 3))
    >>> layer(keras.ops.ones((2, 5, 7, 4))).shape
    (2, 5, 7, 8)
    """

    def __init__(
        self,
        units,
        kernel_size,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = validation.positive_int("units", units)
        sizes = validation.odd_ints("kernel_size", kernel_size)
        validation.require(
            len(sizes) == 2 and 1 in sizes, "kernel_size", kernel_size, "`(1, K)` or `(K, 1)` with an odd positive int K"
        )
        self.kernel_size = sizes
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(channels, self.units), initializer=fresh(self.kernel_initializer), name="kernel"
        )
        self.bias = (
            self.add_weight(shape=(self.units,), initializer=fresh(self.bias_initializer), name="bias")
            if self.use_bias
            else None
        )
        axis_offsets = cycle_offsets(channels, self.kernel_size)[:, 0 if self.kernel_size[0] > 1 else 1]
        radius = max(self.kernel_size) // 2
        # One 0/1 channel mask per shift: the shifted copies summed under
        # their masks give every channel its own offset.
        self._masks = [
            (shift, (axis_offsets == shift).astype("float32")) for shift in range(-radius, radius + 1)
        ]

    def call(self, inputs):
        x = self.shift_channels(inputs)
        y = ops.matmul(x, ops.cast(self.kernel, x.dtype))
        return y + ops.cast(self.bias, y.dtype) if self.use_bias else y

    def shift_channels(self, inputs):
        """`x[h + dy(c), w + dx(c), c]`, zero outside: the sampling of Eq. 3."""
        axis = 1 if self.kernel_size[0] > 1 else 2
        radius = max(self.kernel_size) // 2
        padding = [(0, 0)] * 4
        padding[axis] = (radius, radius)
        padded = ops.pad(inputs, padding)
        length = ops.shape(inputs)[axis]
        total = None
        for shift, mask in self._masks:
            start = radius + shift
            window = padded[:, start : start + length] if axis == 1 else padded[:, :, start : start + length]
            term = window * ops.convert_to_tensor(mask, dtype=inputs.dtype)
            total = term if total is None else total + term
        return total

    def own_macs(self, input_shape):
        return math.prod(input_shape[1:]) * self.units

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        arguments = layer_config.arguments(
            self, "units", "kernel_size", "use_bias", "kernel_initializer", "bias_initializer",
        )
        return {**super().get_config(), **arguments}
