import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.mlp import MLP
from keras_mlp.layers.stochastic_depth import StochasticDepth


@keras.saving.register_keras_serializable(package="keras_mlp")
class FeedForwardBlock(keras.layers.Layer):
    """One block of the feed-forward-only ViT (Melas-Kyriazi, arXiv 2105.02723).

    A ViT block whose attention layer is replaced by a feed-forward layer
    over the token axis. On a `(batch, tokens, channels)` sequence, in the
    order of the official `LinearBlock`:

        x = x + drop_path(mlp1(norm1(x)))           # over channels
        x = x + drop_path(mlp2(norm2(x^T)))^T       # over tokens

    The token axis includes the class token (197 tokens for 224px images and
    16px patches), and `norm2` normalises each channel over the tokens.
    Unlike the MLP-Mixer block, the token MLP is as wide as the feature MLP
    relative to its input: `tokens * mlp_ratio` hidden units.

    Args:
        mlp_ratio: float, hidden width of both MLPs relative to their input
            width (channels for `mlp1`, tokens for `mlp2`).
        drop_path_rate: float, stochastic depth rate of both branches.
        dropout_rate: float, dropout inside both MLPs.
        layer_norm_epsilon: float, epsilon of both LayerNorms.
        kernel_initializer: initializer of the four dense kernels.

    Example:

    >>> block = FeedForwardBlock()
    >>> block(keras.ops.ones((2, 50, 32))).shape
    (2, 50, 32)
    """

    def __init__(
        self,
        mlp_ratio=4.0,
        drop_path_rate=0.0,
        dropout_rate=0.0,
        layer_norm_epsilon=1e-6,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        validation.positive_number("mlp_ratio", mlp_ratio)
        validation.rate("drop_path_rate", drop_path_rate)
        validation.rate("dropout_rate", dropout_rate)
        self.mlp_ratio = float(mlp_ratio)
        self.drop_path_rate = float(drop_path_rate)
        self.dropout_rate = float(dropout_rate)
        self.layer_norm_epsilon = validation.positive_number("layer_norm_epsilon", layer_norm_epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None:
            raise validation.InputSizeError(
                "FeedForwardBlock expects a (batch, tokens, channels) input with "
                "a known number of tokens, because the token MLP has one weight "
                f"per token. Received: input_shape={input_shape}"
            )
        batch, num_tokens, channels = input_shape
        common = dict(
            dropout_rate=self.dropout_rate,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
        )
        norm = dict(epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy)
        transposed_shape = (batch, channels, num_tokens)
        self.norm1 = keras.layers.LayerNormalization(name="norm1", **norm)
        self.norm1.build(input_shape)
        self.mlp1 = MLP(int(channels * self.mlp_ratio), name="mlp1", **common)
        self.mlp1.build(input_shape)
        self.norm2 = keras.layers.LayerNormalization(name="norm2", **norm)
        self.norm2.build(transposed_shape)
        self.mlp2 = MLP(int(num_tokens * self.mlp_ratio), name="mlp2", **common)
        self.mlp2.build(transposed_shape)
        self.drop_path = StochasticDepth(self.drop_path_rate, dtype=self.dtype_policy)

    def call(self, inputs, training=None):
        x = inputs + self.drop_path(self.mlp1(self.norm1(inputs), training=training), training=training)
        x = ops.transpose(x, (0, 2, 1))
        x = x + self.drop_path(self.mlp2(self.norm2(x), training=training), training=training)
        return ops.transpose(x, (0, 2, 1))

    def token_mixing_kernel(self):
        """`(num_tokens, units)`: the weights from each token (class token
        first) to each hidden unit of the token MLP."""
        return self.mlp2.fc1.kernel

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "mlp_ratio", "drop_path_rate", "dropout_rate", "layer_norm_epsilon",
            "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
