"""The four-stage pyramid of CycleMLP and Wave-MLP, shared by both.

overlapping 7x7 stride-4 conv stem -> 4 stages of blocks, with a 3x3
stride-2 conv between stages -> norm -> average pool -> linear head, as the
official `CycleNet` and `WaveNet`. Every weight is per channel, so any
input of at least `MIN_SIZE` pixels a side works, square or not; stage `s`
runs at stride `4 * 2**s`.
"""

import keras

from keras_mlp.models import common, factory
from keras_mlp.models.naming import block_name
from keras_mlp.validation import InputSizeError
from keras_mlp.weights.loading import WeightsSource, load_weights

# Four downsamplings (the stem's 4, then 2, 2, 2): smaller inputs leave the
# last stages a single position that no longer halves.
MIN_SIZE = 32
# The official initialisation of every linear layer, head included.
LINEAR_INITIALIZER = dict(class_name="TruncatedNormal", config=dict(stddev=0.02))


# What both families' constructor docstrings say (`Family.doc_values`,
# `Family.arg_docs`).
DOC_VALUES = dict(
    min_size=MIN_SIZE,
    default_size=224,
    feature_points="the last block of each of the four stages (strides 4, 8, 16, 32)",
)
ARG_DOCS = dict(
    drop_path_rate=(
        "stochastic depth rate of the last block, rising linearly from 0 "
        "over the blocks (the official schedule); 0 keeps the official model."
    ),
)


def family(*, head_norm, formats, **declaration):
    """The `factory.Family` of a pyramid family, with what both families'
    docstrings say; `head_norm` names the norm before the head, `formats`
    the checkpoint files `weights` takes. A pyramid takes any input size."""
    return factory.Family(
        any_input_size=True,
        doc_values=dict(DOC_VALUES, formats=formats),
        arg_docs=dict(include_top=f"whether to include the final {head_norm}, pool and classifier.", **ARG_DOCS),
        **declaration,
    )


def generic_builder(family, public_name, see, title, extra_architecture=(), extra_doc=""):
    """The family's generic builder: `embed_dims`, `depths` and `mlp_ratios`
    (one entry per stage), then `extra_architecture` (`((name, default), ...)`,
    documented by `extra_doc`)."""
    return factory.generic_builder(
        family,
        public_name,
        required=("embed_dims", "depths", "mlp_ratios"),
        optional=extra_architecture,
        see=see,
        example="(8, 16, 24, 32), (1, 1, 1, 1), (2, 2, 2, 2), input_shape=(32, 48, 3)",
        title=title,
        doc=f"`embed_dims`, `depths` and `mlp_ratios` have one entry per stage{extra_doc}.",
    )


def check_size(input_shape):
    height, width, _ = input_shape
    # `None`: a model for any size; an image too small then fails in its convs.
    if any(side is not None and side < MIN_SIZE for side in (height, width)):
        raise InputSizeError(
            f"`input_shape` height and width must be at least {MIN_SIZE}: the four "
            f"stages run at strides 4, 8, 16 and {MIN_SIZE}. Received: input_shape={input_shape}"
        )


def pyramid_model(args, spec, *, model_name, embed_dims, depths, make_block, make_norm=None, make_head_norm):
    """The functional model, with `args.weights` loaded.

    Args:
        args: the contract's `factory.Args`.
        spec: the family's `CheckpointSpec`, which the weights load through.
        embed_dims, depths: one entry per stage.
        make_block: `fn(stage, width, drop_path_rate, name) -> layer`.
        make_norm: `fn(name) -> layer` after the stem and each downsampling
            conv, or `None` for none.
        make_head_norm: `fn(name) -> layer` before the pool and head.
    """
    source = WeightsSource(args.weights, model_name)
    img_input, input_shape = common.image_input(args, 224, any_size=True)
    check_size(input_shape)

    def conv(x, width, kernel, stride, padding, name):
        # PyTorch's symmetric padding; Keras "same" pads stride-2 convs unevenly.
        x = keras.layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
        x = keras.layers.Conv2D(width, kernel, strides=stride, name=name)(x)
        return make_norm(f"{name}_norm")(x) if make_norm else x

    x = conv(img_input, embed_dims[0], 7, 4, 2, "stem")
    total, index, features = sum(depths), 0, {}
    for stage, (width, depth) in enumerate(zip(embed_dims, depths)):
        for block in range(depth):
            # The official linear stochastic-depth schedule over all blocks.
            rate = args.drop_path_rate * index / max(total - 1, 1)
            name = block_name(block, stage)
            x = make_block(stage, width, rate, name)(x)
            index += 1
        features[name] = x
        if stage < len(depths) - 1:
            x = conv(x, embed_dims[stage + 1], 3, 2, 1, f"downsample{stage}")

    def head():
        y = make_head_norm("head_norm")(x) if args.include_top else x
        return common.pooled_head(args, y, keras.initializers.get(LINEAR_INITIALIZER))

    model = common.functional_model(args, img_input, features, head, model_name)
    if source:
        load_weights(model, source, spec)
    return model
