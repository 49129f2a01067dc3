import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.initializers import fresh
from keras_mlp.layers.mlp import MLP


@keras.saving.register_keras_serializable(package="keras_mlp")
class BranchReweight(keras.layers.Layer):
    """Mixes `n` branch maps with per-channel softmax weights.

    The fusion of CycleMLP's spatial projections (arXiv 2107.10224) and of
    Wave-MLP's PATM (arXiv 2111.12294), after ViP's "split attention". On
    `n` maps `x_1 .. x_n` of shape `(batch, height, width, channels)`:

        s = mean_{h, w} (x_1 + ... + x_n)           # (batch, channels)
        a = softmax_k(reshape(MLP(s), (channels, n)))
        y = sum_k a[:, k] * x_k

    `MLP` is `channels -> channels // reduction -> n * channels` with a
    GELU; output unit `c * n + k` is branch `k`'s logit for channel `c`,
    the order of the official code's `reshape(B, C, 3)`.

    Args:
        reduction: int, the hidden width is `channels // reduction`.
        kernel_initializer: initializer of the MLP kernels.

    Example:

    >>> layer = BranchReweight()
    >>> maps = [keras.ops.ones((2, 4, 4, 8))] * 3
    >>> layer(maps).shape
    (2, 4, 4, 8)
    """

    def __init__(self, reduction=4, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.reduction = validation.positive_int("reduction", reduction)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) < 2 or not all(isinstance(shape, (list, tuple)) for shape in input_shape):
            raise ValueError(
                "`BranchReweight` takes a list of at least two maps of one shape. "
                f"Received: input_shape={input_shape}"
            )
        channels = input_shape[0][-1]
        if channels // self.reduction < 1:
            raise ValueError(
                f"`reduction` must leave at least one hidden unit: channels={channels}. "
                f"Received: reduction={self.reduction}"
            )
        self.branches = len(input_shape)
        self.mlp = MLP(
            channels // self.reduction,
            output_dim=self.branches * channels,
            kernel_initializer=fresh(self.kernel_initializer),
            name="mlp",
            dtype=self.dtype_policy,
        )
        self.mlp.build((input_shape[0][0], channels))

    def call(self, inputs):
        channels = ops.shape(inputs[0])[-1]
        summary = ops.mean(sum(inputs[1:], inputs[0]), axis=(1, 2))
        weights = ops.reshape(self.mlp(summary), (-1, 1, 1, channels, self.branches))
        weights = ops.softmax(weights, axis=-1)
        return sum(x * weights[..., k] for k, x in enumerate(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "reduction", "kernel_initializer")}
