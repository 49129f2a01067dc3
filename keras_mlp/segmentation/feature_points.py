"""Any keras_mlp backbone as four feature maps at strides 4, 8, 16 and 32.

Staged backbones (RepMLPNet, RepMLP-ResNet, the pyramid families) give the
last block of each stage (`features_only`); isotropic ones (Mixer, ResMLP,
gMLP, feed-forward ViT) give their last block's tokens, class tokens
dropped, as a map at the patch stride. Each stride a backbone lacks is made
from the nearest finer map by max pooling, or, when none is finer, from the
finest by 2x2 transposed convolutions (with LayerNorm and GELU between
them): the simple feature pyramid of ViTDet (Li et al., arXiv 2203.16527).
Which case applies is read from the feature maps' shapes, never from the
family; a backbone that takes any size is measured on a probe input.
"""

import math
import re

import keras

from keras_mlp.layers.tokens_to_grid import TokensToGrid
from keras_mlp.models.registry import create_model
from keras_mlp.validation import InputSizeError

STRIDES = (4, 8, 16, 32)

# Side of the image a backbone of any input size is measured on: a multiple of
# every stride, so no stage rounds.
_PROBE_SIDE = 256


def backbone_features(backbone, input_shape=None, backbone_weights=None):
    """The backbone as a model named `backbone` returning its feature points.

    Args:
        backbone: a registered model name (`keras_mlp.list_models()`) or a
            model built with `features_only=True`.
        input_shape: `(height, width, 3)`; default the backbone's.
        backbone_weights: with a name: `None`, a pretrained tag or a
            checkpoint path, as the classifiers' `weights`.

    Returns:
        A `keras.Model` whose outputs are a list of feature tensors, finest
        first: every stage's map, or the last block's tokens.
    """
    if isinstance(backbone, str):
        try:
            model = create_model(
                backbone, include_top=False, features_only=True,
                weights=backbone_weights, input_shape=input_shape,
            )
        except ValueError as e:
            # A size that does not fit stays an `InputSizeError`.
            error = InputSizeError if isinstance(e, InputSizeError) else ValueError
            raise error(f"backbone={backbone!r} cannot be built with input_shape={input_shape}: {e}") from e
    elif isinstance(backbone, keras.Model) and isinstance(backbone.output, dict):
        if backbone_weights is not None:
            raise ValueError(
                "`backbone_weights` applies to a backbone given by name; load "
                "the weights into the model you pass instead. Received: "
                f"backbone_weights={backbone_weights!r}"
            )
        model = backbone
        if input_shape is not None and tuple(input_shape) != tuple(model.input_shape[1:]):
            raise InputSizeError(
                f"`input_shape` {tuple(input_shape)} differs from the backbone "
                f"model's input {model.input_shape[1:]}: build it at that size. "
                f"Received: input_shape={input_shape}"
            )
    else:
        raise ValueError(
            "`backbone` must be a registered model name or a model built with "
            f"`features_only=True`. Received: backbone={backbone!r}"
        )
    outputs = model.output
    names = sorted(outputs, key=lambda name: [int(n) for n in re.findall(r"\d+", name)])
    maps = [name for name in names if len(outputs[name].shape) == 4]
    chosen = maps or names[-1:]
    return keras.Model(model.inputs, [outputs[name] for name in chosen], name="backbone")


def feature_pyramid(features, images):
    """Four maps at strides 4, 8, 16, 32 from `features` (`backbone_features`)
    applied to `images`; layers are named `pyramid_<stride>_...`."""
    input_shape = tuple(images.shape[1:])
    maps = features(images)
    maps = maps if isinstance(maps, (list, tuple)) else [maps]
    if len(maps[0].shape) == 3:
        grid, prefix = _token_grid(input_shape, maps[0].shape[1])
        maps = [TokensToGrid(grid, prefix_tokens=prefix, name="pyramid_tokens")(maps[0])]
    levels = dict(zip(_strides(features, input_shape, maps), maps))
    pyramid = []
    for target in STRIDES:
        finer = [s for s in levels if s <= target]
        source = max(finer) if finer else min(levels)
        x, factor = levels[source], target // source if finer else source // target
        if not finer:
            x = _upsample(x, factor, f"pyramid_{target}")
        elif factor > 1:
            x = keras.layers.MaxPooling2D(factor, strides=factor, padding="same", name=f"pyramid_{target}_pool")(x)
        pyramid.append(x)
    return pyramid


def _strides(features, input_shape, maps):
    """Each map's stride; with an unknown height or width, the strides the
    backbone's maps have for a `_PROBE_SIDE` square image."""
    if None not in input_shape[:2]:
        return [_stride(input_shape, m) for m in maps]
    probe_shape = (_PROBE_SIDE, _PROBE_SIDE, input_shape[2])
    probe = features.compute_output_spec(keras.KerasTensor((1, *probe_shape)))
    probe = probe if isinstance(probe, (list, tuple)) else [probe]
    return [_stride(probe_shape, m) for m in probe]


def _stride(input_shape, feature_map):
    """The power of two nearest `input height / map height` (a stage of an
    input that is no multiple of 32 rounds its size up)."""
    return 2 ** round(math.log2(input_shape[0] / feature_map.shape[1]))


def _token_grid(input_shape, num_tokens):
    """`((rows, cols), prefix tokens)` of square patches covering the input."""
    height, width, _ = input_shape
    for prefix in (0, 1):
        patches = num_tokens - prefix
        patch = round(math.sqrt(height * width / patches)) if patches > 0 else 0
        if patch and height % patch == 0 and width % patch == 0 and (height // patch) * (width // patch) == patches:
            return (height // patch, width // patch), prefix
    raise ValueError(
        f"The backbone's {num_tokens} tokens are no grid of square patches of a "
        f"{height}x{width} input (with or without a class token)."
    )


def _upsample(x, factor, name):
    channels = x.shape[-1]
    for step in range(int(math.log2(factor))):
        if step:
            x = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm{step}")(x)
            x = keras.layers.Activation("gelu", name=f"{name}_gelu{step}")(x)
        channels = max(channels // 2, 1)
        x = keras.layers.Conv2DTranspose(channels, 2, strides=2, name=f"{name}_deconv{step}")(x)
    return x
