"""Pieces the segmentation heads share: conv-BN-ReLU, resizing, pyramid
pooling, the classifier and the model around them.

The heads use plain Conv2D and BatchNormalization layers, not `ConvBN`, so
that `keras_mlp.reparameterize` fuses the backbone and leaves a head as it
was trained.
"""

import inspect

import keras

from keras_mlp import validation
from keras_mlp.layers.adaptive_average_pooling import AdaptiveAveragePooling2D
from keras_mlp.layers.resize import Resize2D
from keras_mlp.segmentation.feature_points import backbone_features, feature_pyramid


def conv_norm_act(x, filters, kernel_size, name):
    """mmcv's `ConvModule` with BN and ReLU."""
    x = keras.layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv")(x)
    # PyTorch's BatchNorm defaults (momentum 0.1 there is 0.9 here).
    x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def resize(x, size, name, interpolation="bilinear"):
    """`x` resized to `size = (rows, cols)` (half-pixel centres, as
    `align_corners=False`); `x` itself when it has that size."""
    if tuple(x.shape[1:3]) == tuple(size):
        return x
    return Resize2D(size, interpolation=interpolation, name=name)(x)


def pyramid_pooling(x, pool_scales, channels, name):
    """PSPNet's pyramid pooling module: `[x]` and, for each scale, `x`
    average-pooled to `scale x scale`, projected to `channels` and resized
    back, concatenated on channels."""
    branches = [x]
    for scale in pool_scales:
        y = AdaptiveAveragePooling2D(scale, name=f"{name}_pool{scale}")(x)
        y = conv_norm_act(y, channels, 1, f"{name}_pool{scale}")
        branches.append(resize(y, x.shape[1:3], f"{name}_pool{scale}_resize"))
    return keras.layers.Concatenate(name=f"{name}_concat")(branches)


def segmenter(head, backbone, classes, backbone_weights, input_shape, dropout_rate, name, default_name):
    """The `keras.Model`: images -> backbone -> pyramid -> `head(pyramid)`
    -> dropout -> 1x1 classifier -> logits resized to the input."""
    validation.positive_int("classes", classes)
    validation.rate("dropout_rate", dropout_rate)
    features = backbone_features(backbone, input_shape, backbone_weights)
    images = keras.Input(shape=features.input_shape[1:], name="images")
    x = head(feature_pyramid(features, images))
    x = keras.layers.Dropout(dropout_rate, name="classifier_dropout")(x)
    # Logits in float32 keep mixed-precision training stable.
    x = keras.layers.Conv2D(classes, 1, dtype="float32", name="classifier")(x)
    x = resize(x, images.shape[1:3], "logits_resize")
    backbone_name = backbone if isinstance(backbone, str) else backbone.name
    return keras.Model(images, x, name=name or f"{default_name}_{backbone_name}")


def check_scales(name, scales):
    if isinstance(scales, (str, int)) or not scales:
        raise ValueError(f"`{name}` must be a non-empty tuple of ints. Received: {name}={scales!r}")
    return tuple(validation.positive_int(name, s) for s in scales)


_ARGS = """Args:
    backbone: a registered model name (`keras_mlp.list_models()`) or a
        model built with `features_only=True`.
    classes: number of classes (the logits' last axis).
    backbone_weights: with a backbone name: `None`, a pretrained tag or
        a checkpoint path, loaded as the classifiers load `weights`.
    input_shape: `(height, width, 3)`; default the backbone's.
{head_args}
    dropout_rate: dropout before the classifier.
    name: the model's name; default `{default_name}_<backbone>`.

Returns:
    A `keras.Model` from images to `(batch, height, width, classes)`
    logits.

"""


def documented(default_name, **head_args):
    """Decorator completing a segmentation model's docstring (its
    description and `Example:`) with the arguments every head shares and
    `head_args` (`{argument: text}`), as keras.applications writes its
    variants' docstrings."""

    def document(head):
        description, example = inspect.cleandoc(head.__doc__).split("Example:")
        lines = "\n".join(f"    {name}: {text}" for name, text in head_args.items())
        head.__doc__ = description + _ARGS.format(head_args=lines, default_name=default_name) + "Example:" + example
        return head

    return document
