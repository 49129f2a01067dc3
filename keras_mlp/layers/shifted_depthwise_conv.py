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
            bottom, right = kernel_height - 1 - top, kernel_width - 1 - left
        else:
            top = left = bottom = right = 0

        # Autodiff would differentiate the sum tap by tap: one padded
        # product per tap, each written out in full, then added (Wave-MLP-T-DW's
        # JAX training step took 1.2x as long so; docs/performance.md). The
        # input's gradient is itself a depthwise conv of the upstream gradient
        # by the flipped kernel, padded by k - 1 less the forward padding on
        # each side: one more shifted sum.
        @ops.custom_gradient
        def depthwise(x, kernel):
            padded = ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])

            def grad(*args, upstream=None):
                # Keras' backends pass the upstream gradient positionally or by keyword.
                if upstream is None:
                    (upstream,) = args
                padded_upstream = ops.pad(upstream, [
                    (0, 0), (kernel_height - 1 - top, kernel_height - 1 - bottom),
                    (kernel_width - 1 - left, kernel_width - 1 - right), (0, 0),
                ])
                flipped = ops.flip(ops.flip(kernel, 0), 1)
                # One reduction per tap, in the kernel's (row, col) order.
                taps = [
                    ops.sum(window * upstream, axis=(0, 1, 2))
                    for row in _windows(padded, kernel_height, kernel_width)
                    for window in row
                ]
                kernel_grad = ops.reshape(ops.stack(taps), kernel.shape)
                return _shifted_sum(padded_upstream, flipped), kernel_grad

            return _shifted_sum(padded, kernel), grad

        # A tensor, not the variable: TensorFlow's custom gradients take variables apart.
        outputs = depthwise(inputs, ops.cast(self.kernel, inputs.dtype))
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


def _windows(padded, kernel_height, kernel_width):
    """Rows of the `kernel_height x kernel_width` shifted windows of `padded`.

    Tap (row, col) sees the input from (row, col) to k - 1 - row, k - 1 - col
    before its end: no size is needed, so maps of unknown size work too.
    """
    return [
        [
            padded[:, row : row - kernel_height + 1 or None, col : col - kernel_width + 1 or None, :]
            for col in range(kernel_width)
        ]
        for row in range(kernel_height)
    ]


def _shifted_sum(padded, kernel):
    """`sum over taps of window * kernel[tap]`: a stride-1 depthwise conv of `padded`."""
    kernel_height, kernel_width = kernel.shape[:2]
    outputs = None
    for row, windows in enumerate(_windows(padded, kernel_height, kernel_width)):
        for col, window in enumerate(windows):
            tap = window * kernel[row, col, :, 0]
            outputs = tap if outputs is None else outputs + tap
    return outputs
