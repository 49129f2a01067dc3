import keras

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.affine import Affine
from keras_mlp.layers.initializers import fresh
from keras_mlp.layers.layer_scale import LayerScale
from keras_mlp.layers.mlp import MLP
from keras_mlp.layers.stochastic_depth import StochasticDepth
from keras_mlp.layers.token_linear import TokenLinear


@keras.saving.register_keras_serializable(package="keras_mlp")
class ResMLPBlock(keras.layers.Layer):
    """One ResMLP layer (Touvron et al., 2021, arXiv 2105.03404).

    On a `(batch, num_patches, channels)` sequence:

        x = x + drop_path(ls1 * token_mixing(norm1(x)))    # linear across patches
        x = x + drop_path(ls2 * channel_mixing(norm2(x)))  # GELU MLP across channels

    `norm1`, `norm2` are `Affine` (no statistics), `ls1`, `ls2` `LayerScale`.
    Token mixing is a single linear layer (`TokenLinear`), not an MLP as in
    MLP-Mixer.

    Args:
        mlp_ratio: float, hidden width of the channel MLP over the input width.
        layer_scale_init: float, initial value of `ls1` and `ls2`.
        drop_path_rate: float, stochastic depth rate of both branches.
        dropout_rate: float, dropout inside the channel MLP.
        kernel_initializer: initializer of the token-mixing and MLP kernels.

    Example:

    >>> block = ResMLPBlock(layer_scale_init=0.1)
    >>> block(keras.ops.ones((2, 49, 32))).shape
    (2, 49, 32)
    """

    def __init__(
        self,
        mlp_ratio=4.0,
        layer_scale_init=1e-4,
        drop_path_rate=0.0,
        dropout_rate=0.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mlp_ratio = validation.positive_number("mlp_ratio", mlp_ratio)
        self.layer_scale_init = validation.positive_number("layer_scale_init", layer_scale_init)
        self.drop_path_rate = validation.rate("drop_path_rate", drop_path_rate)
        self.dropout_rate = validation.rate("dropout_rate", dropout_rate)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        common = dict(dtype=self.dtype_policy)
        self.norm1 = Affine(name="norm1", **common)
        self.norm1.build(input_shape)
        self.token_mixing = TokenLinear(
            kernel_initializer=fresh(self.kernel_initializer), name="token_mixing", **common
        )
        self.token_mixing.build(input_shape)
        self.ls1 = LayerScale(self.layer_scale_init, name="ls1", **common)
        self.ls1.build(input_shape)
        self.norm2 = Affine(name="norm2", **common)
        self.norm2.build(input_shape)
        self.channel_mixing = MLP(
            int(channels * self.mlp_ratio),
            dropout_rate=self.dropout_rate,
            kernel_initializer=fresh(self.kernel_initializer),
            name="channel_mixing",
            **common,
        )
        self.channel_mixing.build(input_shape)
        self.ls2 = LayerScale(self.layer_scale_init, name="ls2", **common)
        self.ls2.build(input_shape)
        self.drop_path = StochasticDepth(self.drop_path_rate, **common)

    def call(self, inputs, training=None):
        y = self.ls1(self.token_mixing(self.norm1(inputs)))
        x = inputs + self.drop_path(y, training=training)
        y = self.ls2(self.channel_mixing(self.norm2(x), training=training))
        return x + self.drop_path(y, training=training)

    def token_mixing_kernel(self):
        """`(num_patches, num_patches)`: column `j` holds the weights with
        which output patch `j` sums the input patches, the spatial filters of
        the ResMLP paper's figure of learned patches."""
        return self.token_mixing.kernel

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "mlp_ratio", "layer_scale_init", "drop_path_rate", "dropout_rate",
            "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
