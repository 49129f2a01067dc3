"""The builder shared by isotropic all-MLP families (timm's `MlpMixer(block_layer=...)`).

patches -> per-patch linear stem -> N x block -> final norm -> patch grid ->
global average pool -> linear head. A family is its block layer, its final
norm and its head initialiser; MLP-Mixer, ResMLP and gMLP differ only there.
"""

import keras

from keras_mlp.models import common
from keras_mlp.models.naming import block_name
from keras_mlp.weights.loading import WeightsSource, load_weights
from keras_mlp.weights.patch_resampling import adapt_patch_weights


# What every isotropic family's constructor docstrings say (`Family.doc_values`).
DOC_VALUES = dict(default_size=224, feature_points="every block's `(batch, patches, channels)` output")


def isotropic_model(
    args,
    *,
    model_name,
    patch_size,
    hidden_dim,
    num_blocks,
    make_block,
    make_final_norm,
    head_initializer,
    default_size=224,
):
    """Builds the model; returns `(model, patch grid)`.

    Args:
        args: the contract `Args`.
        make_block: `fn(index, name, grid) -> keras layer` mapping
            `(batch, tokens, hidden_dim)` to the same shape, for a
            `grid = (rows, cols)` of patches; it gets
            `args.drop_path_rate` from the caller's closure (every block of
            these families drops its branches at the same rate, as timm).
        make_final_norm: `fn(name) -> keras layer`, the norm before the head.
        head_initializer: kernel initializer of the classifier.
        default_size: input side when `input_shape` is not given.
    """
    img_input, input_shape = common.image_input(args, default_size)
    grid = common.check_patch_grid(input_shape, patch_size)
    x = keras.layers.Conv2D(hidden_dim, patch_size, strides=patch_size, name="stem")(img_input)
    x = keras.layers.Reshape((grid[0] * grid[1], hidden_dim), name="stem_tokens")(x)
    features = {}
    for index in range(num_blocks):
        name = block_name(index)
        x = make_block(index, name, grid)(x)
        features[name] = x

    def head():
        y = make_final_norm("pre_head_norm")(x)
        y = keras.layers.Reshape((*grid, hidden_dim), name="patch_grid")(y)
        return common.pooled_head(args, y, head_initializer)

    return common.functional_model(args, img_input, features, head, model_name), grid


def pretrained_model(args, checkpoints, *, model_name, **architecture):
    """`isotropic_model(args, model_name=..., **architecture)`'s model with
    `args.weights` loaded through the family's key tables (`checkpoints`:
    its `SPEC`, and its `PATCH_WEIGHTS` resampled to the model's patch grid)."""
    source = WeightsSource(args.weights, model_name)
    model, grid = isotropic_model(args, model_name=model_name, **architecture)
    if source:
        adapt = adapt_patch_weights(checkpoints.PATCH_WEIGHTS, grid, model)
        load_weights(model, source, checkpoints.SPEC, adapt=adapt)
    return model
