import keras

from keras_mlp import validation


@keras.saving.register_keras_serializable(package="keras_mlp")
class Affine(keras.layers.Layer):
    """Per-channel `alpha * x + beta` over the last axis: ResMLP's "norm".

    ResMLP (Touvron et al., 2021, arXiv 2105.03404) replaces LayerNorm by
    this: no statistics of the input are computed, so the layer folds into
    the next linear layer at inference. `alpha` starts at one and `beta` at
    zero, i.e. as the identity.

    Example:

    >>> layer = Affine()
    >>> layer(keras.ops.ones((2, 5, 8))).shape
    (2, 5, 8)
    """

    def build(self, input_shape):
        channels = validation.positive_int("input_shape[-1]", input_shape[-1])
        self.alpha = self.add_weight(name="alpha", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        return inputs * self.alpha + self.beta

    def compute_output_shape(self, input_shape):
        return input_shape
