"""Pieces shared by every application builder: inputs, heads, the model."""

import keras

from keras_mlp.layers.stochastic_depth import StochasticDepth
from keras_mlp.models import factory
from keras_mlp.validation import InputSizeError


def image_input(args, default_size, any_size=False):
    """The model's input layer and its static `(height, width, channels)`.

    With `any_size` (families whose every weight is per channel) height and
    width may be `None`: one model then takes images of any size.
    """
    if keras.config.image_data_format() != "channels_last":
        raise ValueError(
            "keras_mlp models use channels_last images. Set "
            "`keras.config.set_image_data_format('channels_last')`."
        )
    input_tensor, input_shape = args.input_tensor, args.input_shape
    if input_shape is None:
        if input_tensor is not None and len(input_tensor.shape) == 4:
            input_shape = tuple(input_tensor.shape[1:])
        else:
            input_shape = (default_size, default_size, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[2] is None or input_shape[2] <= 0:
        raise InputSizeError(
            "`input_shape` must be a (height, width, channels) tuple with a known "
            f"number of channels. Received: input_shape={input_shape}"
        )
    if any(d is not None and d <= 0 for d in input_shape[:2]):
        raise InputSizeError(f"`input_shape` height and width must be positive. Received: input_shape={input_shape}")
    if not any_size and None in input_shape[:2]:
        any_size_families = ", ".join(f.name for f in factory.families() if f.any_input_size)
        raise InputSizeError(
            "`input_shape` height and width must be known for this model, "
            "because its token-mixing weights depend on the number of "
            "patches. Pass the size you will feed, or use a family that takes "
            f"any size ({any_size_families}). Received: input_shape={input_shape}"
        )
    if input_tensor is None:
        return keras.Input(shape=input_shape, name="images"), input_shape
    if not keras.backend.is_keras_tensor(input_tensor):
        return keras.Input(tensor=input_tensor, shape=input_shape, name="images"), input_shape
    return input_tensor, input_shape


def check_multiple(input_shape, multiple, why):
    """Height and width must be multiples of `multiple`, else a clear error."""
    height, width, _ = input_shape
    if height % multiple or width % multiple:
        raise InputSizeError(
            f"`input_shape` height and width must be multiples of {multiple} "
            f"(e.g. {multiple * 2}, {multiple * 4}): {why}. Received: input_shape={input_shape}"
        )


def check_patch_grid(input_shape, patch_size):
    """`(rows, cols)` of non-overlapping patches, or an error that names the
    nearest valid sizes in pixels."""
    height, width, _ = input_shape
    wrong = [(name, size) for name, size in (("height", height), ("width", width)) if size % patch_size]
    if wrong:
        nearest = "; ".join(
            f"{name} {size}: {_nearest_multiples(size, patch_size)}" for name, size in wrong
        )
        raise InputSizeError(
            f"`input_shape` height and width must be multiples of the patch "
            f"size {patch_size} pixels. Nearest valid sizes: {nearest}. "
            f"Received: input_shape={input_shape}"
        )
    return height // patch_size, width // patch_size


def _nearest_multiples(size, multiple):
    below = size // multiple * multiple
    return " or ".join(str(s) for s in (below, below + multiple) if s > 0)


def pooled_head(args, x, head_initializer, pool_1d=False):
    """Pools the final features and applies the classifier.

    With `include_top` the features are average-pooled (the papers' head);
    otherwise `pooling` picks `None` (the features themselves), `"avg"` or
    `"max"`. `pool_1d` pools `(batch, tokens, channels)` instead of
    `(batch, rows, cols, channels)`.
    """
    average = keras.layers.GlobalAveragePooling1D if pool_1d else keras.layers.GlobalAveragePooling2D
    maximum = keras.layers.GlobalMaxPooling1D if pool_1d else keras.layers.GlobalMaxPooling2D
    if args.include_top or args.pooling == "avg":
        x = average(name="avg_pool")(x)
    elif args.pooling == "max":
        x = maximum(name="max_pool")(x)
    if args.include_top:
        x = dense_head(args, x, head_initializer)
    return x


def dense_head(args, x, head_initializer):
    """The classifier, named `predictions` in every family."""
    return keras.layers.Dense(
        args.classes,
        activation=args.classifier_activation,
        kernel_initializer=head_initializer,
        # Logits and softmax in float32 keep mixed-precision training stable.
        dtype="float32",
        name="predictions",
    )(x)


def functional_model(args, img_input, features, head, model_name):
    """The `keras.Model`: `features` (a `{block name: tensor}` dict of the
    family's feature points) with `features_only`, else `head()`."""
    outputs = features if args.features_only else head()
    inputs = (
        keras.utils.get_source_inputs(args.input_tensor)
        if args.input_tensor is not None
        else img_input
    )
    return keras.Model(inputs, outputs, name=args.name or model_name)


def residual_add(x, branch, drop_path_rate, name):
    """`x + drop_path(branch)`; the drop-path layer exists only with a rate,
    so the official models keep their exact layer list."""
    if drop_path_rate:
        branch = StochasticDepth(drop_path_rate, name=f"{name}_drop_path")(branch)
    return keras.layers.Add(name=name)([x, branch])
