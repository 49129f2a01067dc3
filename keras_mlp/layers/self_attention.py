import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.initializers import fresh


@keras.saving.register_keras_serializable(package="keras_mlp")
class MultiHeadSelfAttention(keras.layers.Layer):
    """Multi-head self-attention with one fused query/key/value projection.

    The attention of ViT and DeiT: `qkv` projects `(batch, tokens, channels)`
    to queries, keys and values of `num_heads` heads at once (laid out as
    `(3, heads, head_dim)` along its output axis, as in timm, so a timm
    `attn.qkv` weight maps onto it by a transpose), scaled dot-product
    attention runs per head, and `proj` mixes the heads.
    `keras.layers.MultiHeadAttention` keeps three separate projections instead.

    Args:
        num_heads: int, number of heads; must divide the channels.
        qkv_bias: bool, whether `qkv` has a bias.
        dropout_rate: float, dropout after `proj`.
        kernel_initializer: initializer of both kernels.

    Example:

    >>> attention = MultiHeadSelfAttention(num_heads=4)
    >>> attention(keras.ops.ones((2, 10, 32))).shape
    (2, 10, 32)
    """

    def __init__(
        self,
        num_heads,
        qkv_bias=True,
        dropout_rate=0.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        validation.positive_int("num_heads", num_heads)
        validation.rate("dropout_rate", dropout_rate)
        self.num_heads = num_heads
        self.qkv_bias = bool(qkv_bias)
        self.dropout_rate = float(dropout_rate)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels % self.num_heads:
            raise ValueError(
                f"`num_heads` ({self.num_heads}) must divide the input channels "
                f"({channels}). Received: input_shape={input_shape}"
            )
        kernel = self.kernel_initializer
        self.qkv = keras.layers.Dense(
            3 * channels, use_bias=self.qkv_bias, name="qkv", kernel_initializer=fresh(kernel), dtype=self.dtype_policy
        )
        self.qkv.build(input_shape)
        self.proj = keras.layers.Dense(channels, name="proj", kernel_initializer=fresh(kernel), dtype=self.dtype_policy)
        self.proj.build(input_shape)
        self.dropout = keras.layers.Dropout(self.dropout_rate, dtype=self.dtype_policy)

    def call(self, inputs, training=None):
        _, num_tokens, channels = inputs.shape
        head_dim = channels // self.num_heads
        qkv = ops.reshape(self.qkv(inputs), (-1, num_tokens, 3, self.num_heads, head_dim))
        query, key, value = ops.unstack(qkv, 3, axis=2)
        x = ops.dot_product_attention(query, key, value)
        x = self.proj(ops.reshape(x, (-1, num_tokens, channels)))
        return self.dropout(x, training=training)

    def own_macs(self, input_shape):
        """Multiply-accumulates per example, for `keras_mlp.count_macs`: the
        qkv and output projections plus the two token-by-token products
        (`q k^T` and the weighted sum of `v`), as timm and fvcore count them."""
        _, num_tokens, channels = input_shape
        projections = num_tokens * channels * 4 * channels
        return projections + 2 * num_tokens * num_tokens * channels

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "num_heads", "qkv_bias", "dropout_rate", "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
