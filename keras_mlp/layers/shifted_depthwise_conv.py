import contextlib
import contextvars

import keras
from keras import ops

_XLA_TRACING = contextvars.ContextVar("keras_mlp_xla_tracing", default=False)


@contextlib.contextmanager
def tracing_for_xla():
    """Marks a TensorFlow trace that XLA will compile.

    `ShiftedDepthwiseConv2D` takes its XLA form inside this context, as it
    always does on JAX. TensorFlow gives a layer no way to tell an XLA
    trace from a graph trace, so the caller that asks for XLA says so
    (`keras_mlp.inference_function`).
    """
    token = _XLA_TRACING.set(True)
    try:
        yield
    finally:
        _XLA_TRACING.reset(token)


@keras.saving.register_keras_serializable(package="keras_mlp")
class ShiftedDepthwiseConv2D(keras.layers.DepthwiseConv2D):
    """`keras.layers.DepthwiseConv2D` that XLA compiles into fast code.

    Same arguments, weights and outputs as `DepthwiseConv2D`. Under XLA
    (JAX, or a TensorFlow trace marked by `tracing_for_xla`), a stride-1
    depthwise conv with one output per channel runs as the sum of the
    `kh * kw` shifted copies of the input, each scaled per channel by one
    kernel tap. XLA fuses that sum into one loop. Its CPU backend runs the
    convolution op with one group per channel 10-40x slower (Wave-MLP-T* at
    batch 1 on JAX: 0.3x of the official PyTorch code before;
    docs/performance.md). Elsewhere the backend's own depthwise kernel is
    faster, and the layer runs it: TensorFlow graphs, PyTorch, and strided,
    dilated or channels-first convs.

    Example:

    >>> layer = ShiftedDepthwiseConv2D((1, 7), padding="same", use_bias=False)
    >>> layer(keras.ops.ones((1, 5, 9, 4))).shape
    (1, 5, 9, 4)
    """

    def call(self, inputs):
        if not self._runs_as_shifted_sum():
            return super().call(inputs)
        kernel_height, kernel_width = self.kernel_size
        if self.padding == "same":
            # "same" at stride 1 pads k - 1 in all, the odd one after.
            top, left = (kernel_height - 1) // 2, (kernel_width - 1) // 2
            inputs = ops.pad(
                inputs,
                [(0, 0), (top, kernel_height - 1 - top), (left, kernel_width - 1 - left), (0, 0)],
            )
        kernel = self.kernel
        outputs = None
        for row in range(kernel_height):
            for col in range(kernel_width):
                # Tap (row, col) sees the input from (row, col) to k - 1 - row,
                # k - 1 - col before its end: no size is needed, so maps of
                # unknown size work too.
                window = inputs[
                    :, row : row - kernel_height + 1 or None, col : col - kernel_width + 1 or None, :
                ]
                tap = window * kernel[row, col, :, 0]
                outputs = tap if outputs is None else outputs + tap
        if self.use_bias:
            outputs = outputs + self.bias
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def _runs_as_shifted_sum(self):
        backend = keras.backend.backend()
        xla = backend == "jax" or (backend == "tensorflow" and _XLA_TRACING.get())
        return (
            xla
            and self.data_format == "channels_last"
            and self.depth_multiplier == 1
            and tuple(self.strides) == (1, 1)
            and tuple(self.dilation_rate) == (1, 1)
        )
