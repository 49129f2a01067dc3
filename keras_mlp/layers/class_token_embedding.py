import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.initializers import fresh


@keras.saving.register_keras_serializable(package="keras_mlp")
class ClassTokenEmbedding(keras.layers.Layer):
    """Prepends a learned class token and adds learned position embeddings.

    `(batch, patches, channels) -> (batch, 1 + patches, channels)`, as in ViT
    and DeiT. The position embedding covers the class token too and is one
    `(1, 1 + patches, channels)` variable, the layout of timm's `pos_embed`;
    checkpoints trained on another patch grid are resized on loading (see
    `keras_mlp.weights.patch_resampling`).

    Args:
        embeddings_initializer: initializer of the class token and the
            position embeddings; `None` (default) is DeiT's truncated normal
            of standard deviation 0.02.

    Example:

    >>> embedding = ClassTokenEmbedding()
    >>> embedding(keras.ops.ones((2, 196, 32))).shape
    (2, 197, 32)
    """

    def __init__(
        self,
        embeddings_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # Made here, not as the default value: an instance made at import
        # would draw its seed before `keras.utils.set_random_seed` runs.
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer or keras.initializers.TruncatedNormal(stddev=0.02)
        )

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None:
            raise validation.InputSizeError(
                "ClassTokenEmbedding expects a (batch, patches, channels) input "
                "with a known number of patches. "
                f"Received: input_shape={input_shape}"
            )
        _, num_patches, channels = input_shape
        self.class_token = self.add_weight(
            shape=(1, 1, channels),
            initializer=fresh(self.embeddings_initializer),
            name="class_token",
        )
        self.position_embedding = self.add_weight(
            shape=(1, 1 + num_patches, channels),
            initializer=fresh(self.embeddings_initializer),
            name="position_embedding",
        )

    def call(self, inputs):
        class_token = ops.broadcast_to(
            ops.cast(self.class_token, inputs.dtype),
            (ops.shape(inputs)[0], 1, inputs.shape[-1]),
        )
        x = ops.concatenate([class_token, inputs], axis=1)
        return x + ops.cast(self.position_embedding, inputs.dtype)

    def compute_output_shape(self, input_shape):
        batch, num_patches, channels = input_shape
        return (batch, num_patches + 1, channels)

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "embeddings_initializer")}
