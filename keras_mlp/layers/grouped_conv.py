import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_mlp")
class GroupedConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` whose `groups > 1` runs as one conv per group.

    Same arguments, weights and outputs as `Conv2D`. Keras' TensorFlow
    backend runs a grouped conv on CPU inside a nested XLA function, which
    tf2onnx cannot convert (the ONNX file keeps a `StatefulPartitionedCall`
    node that no runtime runs); per-group convs over channel slices,
    concatenated, are plain `Conv2D` ops in every backend and exporter.

    Example:

    >>> layer = GroupedConv2D(8, 3, groups=2, padding="same")
    >>> layer(keras.ops.ones((1, 5, 5, 4))).shape
    (1, 5, 5, 8)
    """

    def convolution_op(self, inputs, kernel):
        if self.groups == 1 or self.data_format != "channels_last":
            return super().convolution_op(inputs, kernel)
        per_input = inputs.shape[-1] // self.groups
        per_output = self.filters // self.groups
        return ops.concatenate(
            [
                super(GroupedConv2D, self).convolution_op(
                    inputs[..., g * per_input : (g + 1) * per_input],
                    kernel[..., g * per_output : (g + 1) * per_output],
                )
                for g in range(self.groups)
            ],
            axis=-1,
        )
