import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config


@keras.saving.register_keras_serializable(package="keras_mlp")
class TokensToGrid(keras.layers.Layer):
    """`(batch, prefix + rows * cols, channels)` tokens to a
    `(batch, rows, cols, channels)` map, the prefix (class) tokens dropped.

    What an isotropic backbone's patch tokens are to a dense-prediction head:
    the patch grid in row-major order, as the stem flattened it.

    Args:
        grid: `(rows, cols)` of the patch grid.
        prefix_tokens: leading tokens that are no patch (a ViT's class
            token); 0 for Mixer, ResMLP and gMLP.

    Example:

    >>> layer = TokensToGrid((2, 3), prefix_tokens=1)
    >>> layer(keras.ops.ones((4, 7, 16))).shape
    (4, 2, 3, 16)
    """

    def __init__(self, grid, prefix_tokens=0, **kwargs):
        super().__init__(**kwargs)
        self.grid = validation.int_pair("grid", grid)
        self.prefix_tokens = validation.non_negative_int("prefix_tokens", prefix_tokens)

    def build(self, input_shape):
        expected = self.prefix_tokens + self.grid[0] * self.grid[1]
        if input_shape[1] is not None and input_shape[1] != expected:
            raise validation.InputSizeError(
                f"TokensToGrid(grid={self.grid}, prefix_tokens={self.prefix_tokens}) "
                f"expects {expected} tokens. Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        patches = inputs[:, self.prefix_tokens :]
        return ops.reshape(patches, (-1, *self.grid, ops.shape(inputs)[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.grid, input_shape[2])

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "grid", "prefix_tokens")}
