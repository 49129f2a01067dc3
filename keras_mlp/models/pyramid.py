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

# Four downsamplings (the stem's 4, then 2, 2, 2): smaller inputs leave the
# last stages a single position that no longer halves.
MIN_SIZE = 32
# The official initialisation of every linear layer, head included.
LINEAR_INITIALIZER = dict(class_name="TruncatedNormal", config=dict(stddev=0.02))


# What both families' constructors say beyond the contract's own texts.
ARG_DOCS = dict(
    drop_path_rate=(
        "stochastic depth rate of the last block, rising linearly from 0 "
        "over the blocks (the official schedule); 0 keeps the official model."
    ),
)


def constructor(family, configs, model_name, public_name, title, module, formats):
    """The registered constructor of one configuration of a pyramid family."""
    return factory.constructor(
        family,
        model_name,
        public_name,
        configs[model_name],
        title,
        module,
        min_size=MIN_SIZE,
        default_size=224,
        formats=formats,
        feature_points="the last block of each of the four stages (strides 4, 8, 16, 32)",
    )


def check_size(input_shape):
    height, width, _ = input_shape
    if height < MIN_SIZE or width < MIN_SIZE:
        raise InputSizeError(
            f"`input_shape` height and width must be at least {MIN_SIZE}: the four "
            f"stages run at strides 4, 8, 16 and {MIN_SIZE}. Received: input_shape={input_shape}"
        )


def pyramid_model(args, *, model_name, embed_dims, depths, make_block, make_norm=None, make_head_norm):
    """The functional model.

    Args:
        args: the contract's `factory.Args`.
        embed_dims, depths: one entry per stage.
        make_block: `fn(stage, width, drop_path_rate, name) -> layer`.
        make_norm: `fn(name) -> layer` after the stem and each downsampling
            conv, or `None` for none.
        make_head_norm: `fn(name) -> layer` before the pool and head.
    """
    img_input, input_shape = common.image_input(args, 224)
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

    return common.functional_model(args, img_input, features, head, model_name)
