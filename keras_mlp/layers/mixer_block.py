import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.mlp import MLP
from keras_mlp.layers.stochastic_depth import StochasticDepth


@keras.saving.register_keras_serializable(package="keras_mlp")
class MLPMixerBlock(keras.layers.Layer):
    """One MLP-Mixer layer (Tolstikhin et al., 2021, arXiv 2105.01601).

    On a `(batch, num_patches, channels)` sequence:

        x = x + drop_path(token_mixing(norm1(x)^T)^T)   # across patches
        x = x + drop_path(channel_mixing(norm2(x)))     # across channels

    Args:
        tokens_mlp_dim: int, hidden width `D_S` of the token-mixing MLP.
        channels_mlp_dim: int, hidden width `D_C` of the channel-mixing MLP.
        drop_path_rate: float, stochastic depth rate of both branches.
        dropout_rate: float, dropout inside both MLPs.
        gelu_approximate: bool, tanh-approximate GELU (official Flax
            checkpoints) instead of the exact erf GELU (timm checkpoints).
        layer_norm_epsilon: float, epsilon of both LayerNorms.
        kernel_initializer: initializer of the four dense kernels.

    Example:

    >>> block = MLPMixerBlock(tokens_mlp_dim=16, channels_mlp_dim=64)
    >>> block(keras.ops.ones((2, 49, 32))).shape
    (2, 49, 32)
    """

    def __init__(
        self,
        tokens_mlp_dim,
        channels_mlp_dim,
        drop_path_rate=0.0,
        dropout_rate=0.0,
        gelu_approximate=False,
        layer_norm_epsilon=1e-6,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        validation.positive_ints(tokens_mlp_dim=tokens_mlp_dim, channels_mlp_dim=channels_mlp_dim)
        validation.rate("drop_path_rate", drop_path_rate)
        self.tokens_mlp_dim = tokens_mlp_dim
        self.channels_mlp_dim = channels_mlp_dim
        self.drop_path_rate = float(drop_path_rate)
        self.dropout_rate = validation.rate("dropout_rate", dropout_rate)
        self.gelu_approximate = bool(gelu_approximate)
        self.layer_norm_epsilon = validation.positive_number("layer_norm_epsilon", layer_norm_epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None:
            raise validation.InputSizeError(
                "MLPMixerBlock expects a (batch, num_patches, channels) input "
                "with a known number of patches, because the token-mixing MLP "
                f"has one weight per patch. Received: input_shape={input_shape}"
            )
        _, num_patches, channels = input_shape
        common = dict(
            gelu_approximate=self.gelu_approximate,
            dropout_rate=self.dropout_rate,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
        )
        self.norm1 = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="norm1", dtype=self.dtype_policy
        )
        self.norm1.build(input_shape)
        self.token_mixing = MLP(
            self.tokens_mlp_dim, output_dim=num_patches, name="token_mixing", **common
        )
        self.token_mixing.build((input_shape[0], channels, num_patches))
        self.norm2 = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="norm2", dtype=self.dtype_policy
        )
        self.norm2.build(input_shape)
        self.channel_mixing = MLP(
            self.channels_mlp_dim, output_dim=channels, name="channel_mixing", **common
        )
        self.channel_mixing.build(input_shape)
        self.drop_path = StochasticDepth(self.drop_path_rate, dtype=self.dtype_policy)

    def call(self, inputs, training=None):
        y = self._mix_tokens(self.norm1(inputs), training)
        x = inputs + self.drop_path(y, training=training)
        y = self.channel_mixing(self.norm2(x), training=training)
        return x + self.drop_path(y, training=training)

    def _mix_tokens(self, x, training):
        """`token_mixing(x^T)^T` computed as `W^T x`: the kernels multiply
        from the left, so no `(batch, patches, channels)` activation is
        transposed (two full copies per block otherwise). Same variables,
        same math as calling `self.token_mixing` on the transpose."""
        mlp = self.token_mixing
        y = ops.matmul(ops.transpose(mlp.fc1.kernel), x)
        y = ops.gelu(y + ops.expand_dims(mlp.fc1.bias, -1), approximate=self.gelu_approximate)
        y = mlp.dropout(y, training=training)
        y = ops.matmul(ops.transpose(mlp.fc2.kernel), y) + ops.expand_dims(mlp.fc2.bias, -1)
        return mlp.dropout(y, training=training)

    def token_mixing_kernel(self):
        """`(num_patches, units)`: the weights from each patch to each hidden
        unit of the token-mixing MLP (what `keras_mlp.classification.visualize` draws)."""
        return self.token_mixing.fc1.kernel

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "tokens_mlp_dim", "channels_mlp_dim", "drop_path_rate", "dropout_rate",
            "gelu_approximate", "layer_norm_epsilon", "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
