import keras

from keras_mlp import validation
from keras_mlp.layers import layer_config


class MarginSoftmax(keras.layers.Layer):
    """Cosine logits with a margin on the true class: the base of `ArcFace`
    and `CosFace`.

    Embeddings and class centres (the columns of `kernel`) are L2-normalised,
    so a logit is `scale * cos(theta)`, `theta` the angle between an
    embedding and a class centre. Called with `[embeddings, labels]`, the
    logit of each example's label is replaced by `scale * target(cos)`, the
    subclass' margin; called with the embeddings alone it returns the plain
    `scale * cos(theta)`. The head exists only to train the embedding:
    verification compares embeddings by their cosine.

    The cosines are computed in float32 whatever the dtype policy: a margin
    on a float16 cosine near 1 would be lost in rounding.

    Args:
        num_classes: identities of the training set.
        scale: `s`, the radius of the hypersphere the logits live on.
        margin: `m`, the subclass' margin.
    """

    def __init__(self, num_classes, scale, margin, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_classes = validation.positive_int("num_classes", num_classes)
        self.scale = validation.positive_number("scale", scale)
        self.margin = validation.positive_number("margin", margin)

    def build(self, input_shape):
        embeddings_shape = input_shape[0] if _is_pair(input_shape) else input_shape
        embedding_dim = validation.positive_int("input_shape[-1]", embeddings_shape[-1])
        # InsightFace's class centres start as N(0, 0.01) (partial_fc_v2.py).
        self.kernel = self.add_weight(
            name="kernel",
            shape=(embedding_dim, self.num_classes),
            initializer=keras.initializers.RandomNormal(stddev=0.01),
        )

    def cosine(self, embeddings):
        """`cos(theta)` of every embedding with every class centre, `(batch, classes)`."""
        embeddings = keras.ops.cast(embeddings, "float32")
        unit = embeddings / keras.ops.maximum(keras.ops.norm(embeddings, axis=-1, keepdims=True), 1e-12)
        centres = self.kernel / keras.ops.maximum(keras.ops.norm(self.kernel, axis=0, keepdims=True), 1e-12)
        # Rounding can leave |cos| a hair above 1; the margins take an arccos view of it.
        return keras.ops.clip(keras.ops.matmul(unit, centres), -1.0, 1.0)

    def target(self, cosine):
        """The true class' cosine with the margin applied."""
        raise NotImplementedError

    def call(self, inputs):
        if not _is_pair(inputs):
            return self.scale * self.cosine(inputs)
        embeddings, labels = inputs
        cosine = self.cosine(embeddings)
        labels = keras.ops.reshape(keras.ops.cast(labels, "int32"), (-1,))
        is_target = keras.ops.one_hot(labels, self.num_classes, dtype="float32") > 0.5
        return self.scale * keras.ops.where(is_target, self.target(cosine), cosine)

    def compute_output_shape(self, input_shape):
        embeddings_shape = input_shape[0] if _is_pair(input_shape) else input_shape
        return (embeddings_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "num_classes", "scale", "margin")}


def _is_pair(value):
    return isinstance(value, (list, tuple)) and len(value) == 2 and not isinstance(value[0], int | None)
