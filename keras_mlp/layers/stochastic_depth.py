import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config


@keras.saving.register_keras_serializable(package="keras_mlp")
class StochasticDepth(keras.layers.Layer):
    """Drops the whole residual branch of a sample with probability `rate`.

    Also called DropPath (Huang et al., 2016). Kept samples are scaled by
    `1 / (1 - rate)` so the expected output is unchanged; at inference the
    layer is the identity. Keras core has no such layer (`keras.layers.Dropout`
    drops single units, not whole samples).

    Args:
        rate: float in `[0, 1)`, probability of dropping a sample's branch.
        seed: optional int for the random generator.

    Example:

    >>> layer = StochasticDepth(rate=0.1)
    >>> layer(keras.ops.ones((2, 4, 8)), training=False).shape
    (2, 4, 8)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        validation.rate("rate", rate)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        keep_prob = 1.0 - self.rate
        shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        noise = keras.random.uniform(
            shape, seed=self.seed_generator, dtype=inputs.dtype
        )
        mask = ops.floor(keep_prob + noise)
        return inputs * mask / keep_prob

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "rate", "seed")}
