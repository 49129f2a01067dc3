import keras

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.mlp import MLP
from keras_mlp.layers.self_attention import MultiHeadSelfAttention
from keras_mlp.layers.stochastic_depth import StochasticDepth


@keras.saving.register_keras_serializable(package="keras_mlp")
class TransformerBlock(keras.layers.Layer):
    """A pre-norm ViT/DeiT block: self-attention, then an MLP over channels.

        x = x + drop_path(attn(norm1(x)))   # across tokens
        x = x + drop_path(mlp(norm2(x)))    # across channels

    With `mlp_ratio=None` the MLP sub-layer is left out: the block is
    attention only (the ablation of arXiv 2105.02723, see
    `keras_mlp.FeedForwardViT`).

    Args:
        num_heads: int, attention heads.
        mlp_ratio: float, hidden width of the MLP relative to the channels,
            or `None` for no MLP.
        qkv_bias: bool, whether the query/key/value projection has a bias.
        drop_path_rate: float, stochastic depth rate of every branch.
        dropout_rate: float, dropout after the attention projection and
            inside the MLP.
        layer_norm_epsilon: float, epsilon of the LayerNorms.
        kernel_initializer: initializer of the dense kernels.

    Example:

    >>> block = TransformerBlock(num_heads=4)
    >>> block(keras.ops.ones((2, 50, 32))).shape
    (2, 50, 32)
    """

    def __init__(
        self,
        num_heads,
        mlp_ratio=4.0,
        qkv_bias=True,
        drop_path_rate=0.0,
        dropout_rate=0.0,
        layer_norm_epsilon=1e-6,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        validation.positive_int("num_heads", num_heads)
        if mlp_ratio is not None:
            validation.positive_number("mlp_ratio", mlp_ratio)
        validation.rate("drop_path_rate", drop_path_rate)
        self.num_heads = num_heads
        validation.rate("dropout_rate", dropout_rate)
        self.mlp_ratio = None if mlp_ratio is None else float(mlp_ratio)
        self.qkv_bias = bool(qkv_bias)
        self.drop_path_rate = float(drop_path_rate)
        self.dropout_rate = float(dropout_rate)
        self.layer_norm_epsilon = validation.positive_number("layer_norm_epsilon", layer_norm_epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        common = dict(
            dropout_rate=self.dropout_rate,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
        )
        norm = dict(epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy)
        self.norm1 = keras.layers.LayerNormalization(name="norm1", **norm)
        self.norm1.build(input_shape)
        self.attn = MultiHeadSelfAttention(
            self.num_heads, qkv_bias=self.qkv_bias, name="attn", **common
        )
        self.attn.build(input_shape)
        if self.mlp_ratio is not None:
            self.norm2 = keras.layers.LayerNormalization(name="norm2", **norm)
            self.norm2.build(input_shape)
            self.mlp = MLP(int(input_shape[-1] * self.mlp_ratio), name="mlp", **common)
            self.mlp.build(input_shape)
        self.drop_path = StochasticDepth(self.drop_path_rate, dtype=self.dtype_policy)

    def call(self, inputs, training=None):
        x = inputs + self.drop_path(self.attn(self.norm1(inputs), training=training), training=training)
        if self.mlp_ratio is None:
            return x
        return x + self.drop_path(self.mlp(self.norm2(x), training=training), training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "num_heads", "mlp_ratio", "qkv_bias", "drop_path_rate", "dropout_rate",
            "layer_norm_epsilon", "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
