"""Pieces shared by every application builder: inputs and heads."""

import keras

POOLING_CHOICES = (None, "avg", "max")


def validate_head_args(include_top, pooling, classes, classifier_activation):
    if pooling not in POOLING_CHOICES:
        raise ValueError(
            f"`pooling` must be one of {POOLING_CHOICES}. Received: pooling={pooling!r}"
        )
    if include_top and (not isinstance(classes, int) or classes <= 0):
        raise ValueError(
            "`classes` must be a positive int when `include_top=True`. "
            f"Received: classes={classes!r}"
        )
    if include_top:
        keras.activations.get(classifier_activation)


def validate_features_only(features_only, include_top):
    """`features_only` models return stage maps, so they have no classifier."""
    if features_only and include_top:
        raise ValueError(
            "`features_only=True` returns the stage feature maps and has no "
            "classifier: pass `include_top=False`."
        )


def image_input(input_tensor, input_shape, default_size):
    """The model's input layer and its static `(height, width, channels)`."""
    if keras.config.image_data_format() != "channels_last":
        raise ValueError(
            "keras_mlp models use channels_last images. Set "
            "`keras.config.set_image_data_format('channels_last')`."
        )
    if input_shape is None:
        if input_tensor is not None and len(input_tensor.shape) == 4:
            input_shape = tuple(input_tensor.shape[1:])
        else:
            input_shape = (default_size, default_size, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or any(d is None or d <= 0 for d in input_shape):
        raise ValueError(
            "`input_shape` must be a fully known (height, width, channels) "
            "tuple, because the token-mixing weights depend on the number of "
            f"patches. Received: input_shape={input_shape}"
        )
    if input_tensor is None:
        return keras.Input(shape=input_shape, name="images"), input_shape
    if not keras.backend.is_keras_tensor(input_tensor):
        return keras.Input(tensor=input_tensor, shape=input_shape, name="images"), input_shape
    return input_tensor, input_shape


def check_patch_grid(input_shape, patch_size):
    """`(rows, cols)` of non-overlapping patches, or a clear error."""
    height, width, _ = input_shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"`input_shape` height and width must be multiples of the patch "
            f"size {patch_size} (e.g. {patch_size * 7}, {patch_size * 14}). "
            f"Received: input_shape={input_shape}"
        )
    return height // patch_size, width // patch_size


def classification_head(x, include_top, pooling, classes, classifier_activation, head_initializer):
    """Pools a `(batch, rows, cols, channels)` map and applies the classifier.

    With `include_top` the features are average-pooled (the papers' head);
    otherwise `pooling` picks `None` (the map itself), `"avg"` or `"max"`.
    """
    if include_top or pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    if include_top:
        x = dense_head(x, classes, classifier_activation, head_initializer)
    return x


def dense_head(x, classes, classifier_activation, head_initializer):
    """The classifier, named `predictions` in every family."""
    return keras.layers.Dense(
        classes,
        activation=classifier_activation,
        kernel_initializer=head_initializer,
        # Logits and softmax in float32 keep mixed-precision training stable.
        dtype="float32",
        name="predictions",
    )(x)


def functional_model(img_input, input_tensor, outputs, name):
    inputs = (
        keras.utils.get_source_inputs(input_tensor)
        if input_tensor is not None
        else img_input
    )
    return keras.Model(inputs, outputs, name=name)
