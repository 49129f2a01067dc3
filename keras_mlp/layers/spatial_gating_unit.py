import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.token_linear import TokenLinear


@keras.saving.register_keras_serializable(package="keras_mlp")
class SpatialGatingUnit(keras.layers.Layer):
    """gMLP's spatial gating unit (Liu et al., 2021, arXiv 2105.08050).

    On a `(batch, num_patches, 2 * d)` input, split into halves `u, v` along
    the channels:

        u * proj(norm(v))     # proj: TokenLinear across patches

    `proj` starts with weights near zero and biases of one, so the unit
    starts as `u * 1`, the paper's near-identity initialisation; the
    output has `d` channels.

    Args:
        layer_norm_epsilon: float, epsilon of `norm` (timm keeps PyTorch's
            `nn.LayerNorm` default, 1e-5, here).

    Example:

    >>> unit = SpatialGatingUnit()
    >>> unit(keras.ops.ones((2, 49, 64))).shape
    (2, 49, 32)
    """

    def __init__(self, layer_norm_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.layer_norm_epsilon = validation.positive_number("layer_norm_epsilon", layer_norm_epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % 2:
            raise ValueError(
                "SpatialGatingUnit splits its input's channels into two halves, so "
                f"it needs an even, known channel count. Received: input_shape={input_shape}"
            )
        half_shape = (*input_shape[:-1], channels // 2)
        self.norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="norm", dtype=self.dtype_policy
        )
        self.norm.build(half_shape)
        self.proj = TokenLinear(
            kernel_initializer=keras.initializers.RandomNormal(stddev=1e-6),
            bias_initializer="ones",
            name="proj",
            dtype=self.dtype_policy,
        )
        self.proj.build(half_shape)

    def call(self, inputs):
        u, v = ops.split(inputs, 2, axis=-1)
        return u * self.proj(self.norm(v))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // 2)

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "layer_norm_epsilon")}
