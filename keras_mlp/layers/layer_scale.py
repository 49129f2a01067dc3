import keras

from keras_mlp import validation
from keras_mlp.layers import layer_config


@keras.saving.register_keras_serializable(package="keras_mlp")
class LayerScale(keras.layers.Layer):
    """Multiplies the last axis by a learned per-channel `gamma`.

    LayerScale (Touvron et al., CaiT, arXiv 2103.17239), used on ResMLP's
    residual branches: starting `gamma` small makes each block close to the
    identity at initialisation, which lets deep stacks train.

    Args:
        init_value: float, initial value of every `gamma` entry (ResMLP uses
            0.1 for 12 blocks, 1e-5 for 24, 1e-6 for 36 and B24).

    Example:

    >>> layer = LayerScale(init_value=0.1)
    >>> layer(keras.ops.ones((2, 5, 8))).shape
    (2, 5, 8)
    """

    def __init__(self, init_value, **kwargs):
        super().__init__(**kwargs)
        self.init_value = validation.positive_number("init_value", init_value)

    def build(self, input_shape):
        channels = validation.positive_int("input_shape[-1]", input_shape[-1])
        self.gamma = self.add_weight(
            name="gamma",
            shape=(channels,),
            initializer=keras.initializers.Constant(self.init_value),
        )

    def call(self, inputs):
        return inputs * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "init_value")}
