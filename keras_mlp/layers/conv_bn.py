import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers import weight_folding
from keras_mlp.layers.grouped_conv import GroupedConv2D
from keras_mlp.layers.reparameterizable import Reparameterizable

# PyTorch BatchNorm defaults: eps 1e-5, running stats updated with 0.1 of the
# batch statistic (Keras counts momentum the other way round).
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9


def batch_norm(name, axis=-1, dtype=None):
    """A BatchNormalization with PyTorch's epsilon and momentum."""
    return keras.layers.BatchNormalization(
        axis=axis, epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name, dtype=dtype
    )


@keras.saving.register_keras_serializable(package="keras_mlp")
class ConvBN(Reparameterizable):
    """Conv2D (no bias) -> BatchNormalization -> optional activation.

    The deploy form is a single Conv2D with bias: the BatchNorm's inference
    affine map is folded into the kernel.

    Args:
        filters: int, output channels.
        kernel_size: int, square kernel size.
        strides: int, conv stride.
        padding: int, zeros added on every side first (PyTorch's
            `padding`, which is symmetric, unlike Keras `"same"` at stride 2).
        groups: int, channel groups of the conv.
        activation: activation applied last, e.g. `"relu"`; `None` for none.
        deploy: bool, build the fused form.

    Example:

    >>> layer = ConvBN(16, 3, padding=1, activation="relu")
    >>> layer(keras.ops.ones((2, 8, 8, 4))).shape
    (2, 8, 8, 16)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding=0,
        groups=1,
        activation=None,
        deploy=False,
        **kwargs,
    ):
        super().__init__(deploy=deploy, **kwargs)
        validation.positive_ints(filters=filters, kernel_size=kernel_size, strides=strides, groups=groups)
        validation.non_negative_int("padding", padding)
        validation.require(filters % groups == 0, "filters", filters, f"a multiple of `groups` ({groups})")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.groups = groups
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.conv = GroupedConv2D(
            self.filters,
            self.kernel_size,
            strides=self.strides,
            groups=self.groups,
            use_bias=self.deploy,
            name="conv",
            dtype=self.dtype_policy,
        )
        padded = self._padded(input_shape)
        self.conv.build(padded)
        if not self.deploy:
            self.bn = batch_norm("bn", dtype=self.dtype_policy)
            self.bn.build(self.conv.compute_output_shape(padded))

    def call(self, inputs, training=None):
        x = inputs
        if self.padding:
            p = self.padding
            x = ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        x = self.conv(x)
        if not self.deploy:
            x = self.bn(x, training=training)
        return self.activation(x)

    def fused_weights(self):
        scale, shift = weight_folding.batch_norm_affine(self.bn)
        return [ops.convert_to_numpy(self.conv.kernel) * scale, shift]

    def _padded(self, input_shape):
        batch, height, width, channels = input_shape
        grow = 2 * self.padding
        return (batch, height and height + grow, width and width + grow, channels)

    def compute_output_shape(self, input_shape):
        return keras.layers.Conv2D(
            self.filters, self.kernel_size, strides=self.strides
        ).compute_output_shape(self._padded(input_shape))

    def get_config(self):
        config = {
            **super().get_config(),
            **layer_config.arguments(self, "filters", "kernel_size", "strides", "padding", "groups"),
        }
        config["activation"] = keras.activations.serialize(self.activation)
        return config
