"""Face embeddings from any registered backbone, with InsightFace's neck.

A face recognition model maps an aligned face to a vector whose cosine with
another face's vector says whether they are the same person. InsightFace
(`recognition/arcface_torch/backbones/iresnet.py`) puts this neck on the
backbone's last feature map: BatchNorm, dropout, flatten, a linear layer to
the embedding, and a BatchNorm without a learned scale. Flattening (not
pooling) keeps where on the face a feature was found, which aligned faces
make meaningful. The margin head (`keras_mlp.layers.ArcFace`, `CosFace`)
is added only for training.
"""

import keras

from keras_mlp import validation
from keras_mlp.models.registry import create_model

DEFAULT_INPUT_SHAPE = (112, 112, 3)


def FaceEmbedder(
    backbone,
    embedding_dim=512,
    backbone_weights=None,
    input_shape=DEFAULT_INPUT_SHAPE,
    dropout_rate=0.0,
    name="face_embedder",
):
    """Instantiates a face embedder: a backbone and InsightFace's embedding neck.

    Args:
        backbone: a registered model name (`keras_mlp.list_models()`), built
            with `include_top=False` at `input_shape`, or a functional
            `keras.Model` without a head whose output is a feature map
            `(batch, rows, cols, channels)` or tokens `(batch, tokens, channels)`.
        embedding_dim: size of the embedding (InsightFace: 512).
        backbone_weights: `weights` of a registered `backbone` (a pretrained
            tag or a checkpoint); `None` initialises it at random.
        input_shape: `(height, width, 3)` of the aligned faces; InsightFace's
            crops are 112x112.
        dropout_rate: dropout before the linear layer (InsightFace's
            `dropout`, 0 by default; 0.4 in its older MXNet recipes).
        name: the model's name.

    Returns:
        A `keras.Model` from images to `(batch, embedding_dim)` embeddings;
        compare two by the cosine of their angle. The backbone is its nested
        model named after the backbone, so `keras_mlp.reparameterize` fuses
        a RepMLP backbone inside it.

    Example:

    ```python
    embedder = keras_mlp.FaceEmbedder("repmlp_face_res50")
    heads = keras_mlp.layers.ArcFace(num_classes=85742)   # MS1M-V2 identities
    ```
    """
    validation.positive_int("embedding_dim", embedding_dim)
    validation.rate("dropout_rate", dropout_rate)
    if isinstance(backbone, str):
        backbone = create_model(
            backbone, include_top=False, weights=backbone_weights, input_shape=tuple(input_shape)
        )
    elif not isinstance(backbone, keras.Model) or not getattr(backbone, "inputs", None):
        raise ValueError(
            "`backbone` must be a registered model name or a functional keras.Model. "
            f"Received: backbone={backbone!r}"
        )
    elif backbone_weights is not None:
        raise ValueError(
            "`backbone_weights` loads into a registered backbone built by name; "
            "a backbone model brings its own weights. Received: backbone_weights="
            f"{backbone_weights!r} with a {type(backbone).__name__}."
        )
    features_shape = backbone.output_shape
    if not isinstance(features_shape, tuple) or len(features_shape) not in (3, 4):
        raise ValueError(
            "`backbone` must return one feature map (batch, rows, cols, channels) or "
            f"tokens (batch, tokens, channels), i.e. have no head; {backbone.name!r} "
            f"returns {features_shape}. Build it with include_top=False, pooling=None."
        )
    images = keras.Input(backbone.input_shape[1:], name="images")
    x = backbone(images)
    # PyTorch's BatchNorm momentum 0.1 and eps 1e-5, as InsightFace trains them.
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name="features_bn")(x)
    x = keras.layers.Dropout(dropout_rate, name="dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(embedding_dim, name="fc")(x)
    # InsightFace fixes this BatchNorm's weight at 1: it centres and scales
    # the embedding without undoing the norm the margin head relies on.
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, scale=False, name="embedding")(x)
    return keras.Model(images, x, name=name)
