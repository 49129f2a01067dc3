import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.initializers import fresh


@keras.saving.register_keras_serializable(package="keras_mlp")
class MLP(keras.layers.Layer):
    """Two dense layers with a GELU between them, over the last axis.

    `fc1 -> GELU -> dropout -> fc2 -> dropout`: the MLP of Transformers,
    MLP-Mixer (token- and channel-mixing) and the feed-forward-only ViT.

    Args:
        hidden_dim: int, width of the hidden layer.
        output_dim: int or `None`; `None` keeps the input width.
        gelu_approximate: bool. `True` is the tanh approximation used by the
            official JAX/Flax code (`flax.linen.gelu`); `False` is the exact
            erf form used by PyTorch and timm. Checkpoints only reproduce
            their reference logits with the variant they were trained with.
        dropout_rate: float, dropout after the activation and after `fc2`.
        kernel_initializer: initializer for both kernels.
        bias_initializer: initializer for both biases.

    Example:

    >>> mlp = MLP(hidden_dim=32)
    >>> mlp(keras.ops.ones((2, 5, 8))).shape
    (2, 5, 8)
    """

    def __init__(
        self,
        hidden_dim,
        output_dim=None,
        gelu_approximate=False,
        dropout_rate=0.0,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        validation.positive_int("hidden_dim", hidden_dim)
        if output_dim is not None:
            validation.positive_int("output_dim", output_dim)
        validation.rate("dropout_rate", dropout_rate)
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.gelu_approximate = bool(gelu_approximate)
        self.dropout_rate = float(dropout_rate)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        output_dim = self.output_dim or input_shape[-1]

        def initializers():
            return dict(
                kernel_initializer=fresh(self.kernel_initializer),
                bias_initializer=fresh(self.bias_initializer),
            )

        self.fc1 = keras.layers.Dense(self.hidden_dim, name="fc1", dtype=self.dtype_policy, **initializers())
        self.fc1.build(input_shape)
        self.fc2 = keras.layers.Dense(output_dim, name="fc2", dtype=self.dtype_policy, **initializers())
        self.fc2.build(tuple(input_shape[:-1]) + (self.hidden_dim,))
        self.dropout = keras.layers.Dropout(self.dropout_rate, dtype=self.dtype_policy)

    def call(self, inputs, training=None):
        # Two-dimensional matmuls: TensorFlow's oneDNN graph rewrite fuses
        # MatMul + BiasAdd + GELU into one kernel only for 2-D operands.
        # (Dense on a 3-D input goes through `tensordot`, whose reshapes
        # split the pattern.) Reshapes of leading axes are free elsewhere.
        leading_shape = ops.shape(inputs)[:-1]
        x = ops.reshape(inputs, (-1, ops.shape(inputs)[-1]))
        x = self.fc1(x)
        x = ops.gelu(x, approximate=self.gelu_approximate)
        x = self.dropout(x, training=training)
        x = self.fc2(x)
        x = ops.reshape(x, (*leading_shape, ops.shape(x)[-1]))
        return self.dropout(x, training=training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim or input_shape[-1],)

    def get_config(self):
        arguments = layer_config.arguments(
            self, "hidden_dim", "output_dim", "gelu_approximate", "dropout_rate",
            "kernel_initializer", "bias_initializer",
        )
        return {**super().get_config(), **arguments}
