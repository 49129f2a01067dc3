import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.initializers import fresh


@keras.saving.register_keras_serializable(package="keras_mlp")
class TokenLinear(keras.layers.Layer):
    """A dense layer across the tokens of a `(batch, tokens, channels)` input.

    `y[b, j, c] = sum_i x[b, i, c] * kernel[i, j] + bias[j]`: every output
    token is a learned combination of all input tokens, the same for every
    channel. ResMLP's token mixing and gMLP's spatial gating projection are
    this layer. `kernel` is `(tokens, tokens)` in the `Dense` (in, out)
    layout, so a PyTorch `nn.Linear(tokens, tokens)` on the transposed input
    maps onto it with one transpose.

    Args:
        kernel_initializer: initializer of the `(tokens, tokens)` kernel.
        bias_initializer: initializer of the `(tokens,)` bias.

    Example:

    >>> layer = TokenLinear()
    >>> layer(keras.ops.ones((2, 49, 32))).shape
    (2, 49, 32)
    """

    def __init__(self, kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None:
            raise validation.InputSizeError(
                f"{type(self).__name__} expects a (batch, tokens, channels) input with a "
                "known number of tokens, because it has one weight per pair of "
                f"tokens. Received: input_shape={input_shape}"
            )
        tokens = input_shape[1]
        self.kernel = self.add_weight(
            name="kernel", shape=(tokens, tokens), initializer=fresh(self.kernel_initializer)
        )
        self.bias = self.add_weight(name="bias", shape=(tokens,), initializer=fresh(self.bias_initializer))

    def call(self, inputs):
        # `kernel^T @ x` mixes tokens with the channels left in place: no
        # (batch, tokens, channels) activation is transposed, as it would
        # be by a Dense layer on the transposed input.
        return ops.matmul(ops.transpose(self.kernel), inputs) + ops.expand_dims(self.bias, -1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def own_macs(self, input_shape):
        _, tokens, channels = input_shape
        return tokens * tokens * channels

    def get_config(self):
        arguments = layer_config.arguments(
            self, "kernel_initializer", "bias_initializer",
        )
        return {**super().get_config(), **arguments}
