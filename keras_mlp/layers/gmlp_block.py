import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.initializers import fresh
from keras_mlp.layers.spatial_gating_unit import SpatialGatingUnit
from keras_mlp.layers.stochastic_depth import StochasticDepth


@keras.saving.register_keras_serializable(package="keras_mlp")
class GMLPBlock(keras.layers.Layer):
    """One gMLP layer (Liu et al., 2021, "Pay Attention to MLPs", arXiv 2105.08050).

    On a `(batch, num_patches, channels)` sequence:

        y = gelu(fc1(norm(x)))               # channels -> mlp_ratio * channels
        x = x + drop_path(fc2(sgu(y)))       # sgu halves the width; fc2 restores it

    where `sgu` is the `SpatialGatingUnit`, the only place where patches
    interact.

    Args:
        mlp_ratio: float, width of `fc1`'s output over the input width (the
            paper's `d_ffn / d_model`, 6); the result must be even.
        drop_path_rate: float, stochastic depth rate of the block.
        dropout_rate: float, dropout after the GELU and after `fc2`.
        layer_norm_epsilon: float, epsilon of `norm`.
        kernel_initializer: initializer of the `fc1` and `fc2` kernels.

    Example:

    >>> block = GMLPBlock()
    >>> block(keras.ops.ones((2, 49, 32))).shape
    (2, 49, 32)
    """

    def __init__(
        self,
        mlp_ratio=6.0,
        drop_path_rate=0.0,
        dropout_rate=0.0,
        layer_norm_epsilon=1e-6,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mlp_ratio = validation.positive_number("mlp_ratio", mlp_ratio)
        self.drop_path_rate = validation.rate("drop_path_rate", drop_path_rate)
        self.dropout_rate = validation.rate("dropout_rate", dropout_rate)
        self.layer_norm_epsilon = validation.positive_number("layer_norm_epsilon", layer_norm_epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        hidden = int(channels * self.mlp_ratio)
        if hidden % 2:
            raise ValueError(
                "GMLPBlock's spatial gating splits `channels * mlp_ratio` channels in "
                f"two halves, so it must be even. Received: mlp_ratio={self.mlp_ratio} "
                f"with {channels} channels ({hidden})"
            )
        common = dict(dtype=self.dtype_policy)
        self.norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="norm", **common
        )
        self.norm.build(input_shape)
        self.fc1 = keras.layers.Dense(hidden, name="fc1", kernel_initializer=fresh(self.kernel_initializer), **common)
        self.fc1.build(input_shape)
        self.spatial_gating = SpatialGatingUnit(name="spatial_gating", **common)
        hidden_shape = (*input_shape[:-1], hidden)
        self.spatial_gating.build(hidden_shape)
        self.fc2 = keras.layers.Dense(channels, name="fc2", kernel_initializer=fresh(self.kernel_initializer), **common)
        self.fc2.build(self.spatial_gating.compute_output_shape(hidden_shape))
        self.dropout = keras.layers.Dropout(self.dropout_rate, **common)
        self.drop_path = StochasticDepth(self.drop_path_rate, **common)

    def call(self, inputs, training=None):
        y = ops.gelu(self.fc1(self.norm(inputs)), approximate=False)
        y = self.spatial_gating(self.dropout(y, training=training))
        y = self.dropout(self.fc2(y), training=training)
        return inputs + self.drop_path(y, training=training)

    def token_mixing_kernel(self):
        """`(num_patches, num_patches)`: the spatial gating projection, whose
        column `j` weighs the input patches of output patch `j`'s gate."""
        return self.spatial_gating.proj.kernel

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "mlp_ratio", "drop_path_rate", "dropout_rate", "layer_norm_epsilon",
            "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
