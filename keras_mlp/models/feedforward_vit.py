"""Feed-forward-only ViT (Melas-Kyriazi, 2021, arXiv 2105.02723) and its baselines.

patches -> linear stem -> class token + position embeddings -> N blocks ->
LayerNorm -> linear head on the class token.

The paper's experiment swaps the token mixer of every block while keeping
everything else, so one builder serves all arms, picked by `token_mixer`:

- `"feedforward"`: `FeedForwardBlock`, an MLP over the tokens replaces
  attention (the paper's model, official `LinearBlock`).
- `"attention"`: `TransformerBlock`, the ViT/DeiT baseline (timm
  `VisionTransformer`, e.g. `deit_tiny_patch16_224`).
- `"attention_only"`: `TransformerBlock(mlp_ratio=None)`, the ablation that
  keeps attention and removes the feed-forward layer over features. The
  paper describes it in one sentence and publishes no code for it; this is
  our reading of it (see docs/feedforward.md).
"""

import dataclasses

import keras
import numpy as np

from keras_mlp import validation
from keras_mlp.layers.class_token_embedding import ClassTokenEmbedding
from keras_mlp.layers.feed_forward_block import FeedForwardBlock
from keras_mlp.layers.transformer_block import TransformerBlock
from keras_mlp.models import common, factory
from keras_mlp.models.naming import block_name
from keras_mlp.weights import feedforward_checkpoints, feedforward_pretrained
from keras_mlp.weights.loading import WeightsSource, load_weights
from keras_mlp.weights.patch_resampling import adapt_patch_weights

# Table 1 of the paper; `num_heads` is used by the attention arms only.
MODEL_CONFIGS = {
    "tiny": dict(patch_size=16, hidden_dim=192, num_blocks=12, num_heads=3),
    "base": dict(patch_size=16, hidden_dim=768, num_blocks=12, num_heads=12),
    "large": dict(patch_size=32, hidden_dim=1024, num_blocks=24, num_heads=16),
}
# Registry name prefix of each arm; pretrained tags belong to these names.
TOKEN_MIXERS = {
    "feedforward": "feedforward",
    "attention": "deit",
    "attention_only": "attention_only",
}
# DeiT initialisation, also used by the official feed-forward code: a config,
# so that each layer makes an instance of its own (see `layers.initializers`).
_INITIALIZER = dict(class_name="TruncatedNormal", config=dict(stddev=0.02))

BASE_DOCSTRING = """Instantiates {title} (arXiv 2105.02723{paper}).

Inputs are channels-last RGB images, already normalised as the weights
expect: use `keras_mlp.preprocess_input(images, "{model_name}.imagenet1k")`
(ImageNet mean and std, as DeiT). Any height and width that are multiples of
the patch size ({patch_size}) work.
"""

_ARG_DOCS = dict(
    include_top="whether to include the final LayerNorm and the classifier on the class token.",
    weights=(
        "`None` (random initialisation), the pretrained tag ({tags}), or the "
        "path of a checkpoint: an official feed-forward-only `.pth` (DeiT "
        "training checkpoint), a timm/DeiT `VisionTransformer` "
        "`.pth`/`.safetensors` for the attention arm, a keras_mlp "
        "`.weights.h5` or a saved `.keras` model. Weights load at any "
        "resolution: position embeddings are resized bilinearly, and the "
        "feed-forward token MLP, which has one weight per token, is "
        "resampled on the patch grid (see docs/resolution.md)."
    ),
    input_shape="optional `(height, width, 3)`; defaults to `(224, 224, 3)`.",
    pooling=(
        "with `include_top=False`: `None` returns the `(batch, 1 + patches, "
        "channels)` tokens after the final LayerNorm, `\"avg\"`/`\"max\"` pool "
        "the patch tokens."
    ),
    drop_path_rate=(
        "stochastic depth rate of the last block; it grows linearly from 0 "
        "over the blocks, as in DeiT."
    ),
    features_only=(
        "return a dict `{{\"block_0\": ..., ...}}`, every block's `(batch, 1 + "
        "patches, channels)` output; needs `include_top=False`."
    ),
    dropout_rate="dropout after the embeddings and inside the MLPs.",
    token_mixer=(
        "`\"feedforward\"` (the paper's model), `\"attention\"` (the ViT/DeiT "
        "baseline) or `\"attention_only\"` (attention without the feature "
        "MLP). Everything else stays the same, so this one argument switches "
        "between the arms of the paper's comparison."
    ),
)


def _build(
    args,
    *,
    model_name,
    patch_size,
    hidden_dim,
    num_blocks,
    num_heads,
    mlp_ratio=4.0,
    size=None,
    token_mixer="feedforward",
    dropout_rate=0.0,
):
    validation.one_of("token_mixer", token_mixer, TOKEN_MIXERS)
    # `FeedForwardTiny(token_mixer="attention")` is DeiT-Ti and has its tags.
    weights_name = f"{TOKEN_MIXERS[token_mixer]}_{size}" if size else model_name
    source = WeightsSource(args.weights, weights_name)
    img_input, input_shape = common.image_input(args, 224)
    grid = common.check_patch_grid(input_shape, patch_size)

    x = keras.layers.Conv2D(hidden_dim, patch_size, strides=patch_size, name="stem")(img_input)
    x = keras.layers.Reshape((grid[0] * grid[1], hidden_dim), name="stem_tokens")(x)
    x = ClassTokenEmbedding(name="embedding")(x)
    x = keras.layers.Dropout(dropout_rate, name="embedding_dropout")(x)
    features = {}
    for i, rate in enumerate(np.linspace(0.0, args.drop_path_rate, num_blocks)):
        block = dict(
            drop_path_rate=float(rate),
            dropout_rate=dropout_rate,
            kernel_initializer=_INITIALIZER,
            name=block_name(i),
        )
        if token_mixer == "feedforward":
            x = FeedForwardBlock(mlp_ratio, **block)(x)
        else:
            ratio = mlp_ratio if token_mixer == "attention" else None
            x = TransformerBlock(num_heads, mlp_ratio=ratio, **block)(x)
        features[block_name(i)] = x

    def head():
        y = keras.layers.LayerNormalization(epsilon=1e-6, name="pre_head_norm")(x)
        if args.include_top:
            return common.dense_head(args, y[:, 0], _INITIALIZER)
        if args.pooling is None:
            return y
        return common.pooled_head(args, y[:, 1:], None, pool_1d=True)

    model = common.functional_model(args, img_input, features, head, model_name)
    if source:
        load_weights(
            model,
            source,
            feedforward_checkpoints.SPEC,
            adapt=adapt_patch_weights(feedforward_checkpoints.PATCH_WEIGHTS, grid, model),
        )
    return model


FEEDFORWARD = factory.Family(
    build=_build,
    extras=(("dropout_rate", 0.0), ("token_mixer", "feedforward")),
    docstring=BASE_DOCSTRING,
    arg_docs=_ARG_DOCS,
    representative="feedforward_tiny",
    pretrained=feedforward_pretrained.RECORDS,
)
# The paper's baselines: `FeedForwardTiny(token_mixer="attention")` is DeiTTiny.
DEIT = dataclasses.replace(
    FEEDFORWARD,
    extras=(("dropout_rate", 0.0),),
    representative="deit_tiny",
    timm_architectures={
        f"deit_{size}_patch16_224": factory.TimmArchitecture(f"deit_{size}", "token") for size in ("tiny", "base")
    },
)

FeedForwardViT = factory.generic_builder(
    FEEDFORWARD,
    "FeedForwardViT",
    required=("patch_size", "hidden_dim", "num_blocks", "num_heads"),
    optional=(("mlp_ratio", 4.0),),
    see="FeedForwardBase",
    example="8, 32, 2, 2, input_shape=(32, 32, 3)",
    title="feed-forward-only ViT / ViT",
    model_name="feedforward_vit",
    doc="""
    `patch_size`, `hidden_dim`, `num_blocks`, `num_heads` and `mlp_ratio` are
    the ViT hyper-parameters.
    """,
)


def _constructor(family, size, token_mixer, public_name, title, **doc):
    model_name = f"{TOKEN_MIXERS[token_mixer]}_{size}"
    architecture = dict(MODEL_CONFIGS[size], size=size)
    if family is DEIT:
        architecture["token_mixer"] = token_mixer
    return factory.constructor(family, model_name, public_name, title, architecture, **doc)


def _feedforward(size, public_name, title):
    return _constructor(FEEDFORWARD, size, "feedforward", public_name, title, paper="")


def _deit(size, public_name, title):
    return _constructor(
        DEIT, size, "attention", public_name, title, paper=", baseline: DeiT, arXiv 2012.12877"
    )


FeedForwardTiny = _feedforward("tiny", "FeedForwardTiny", "the feed-forward-only ViT-Tiny")
FeedForwardBase = _feedforward("base", "FeedForwardBase", "the feed-forward-only ViT-Base")
FeedForwardLarge = _feedforward("large", "FeedForwardLarge", "the feed-forward-only ViT-Large/32")
DeiTTiny = _deit("tiny", "DeiTTiny", "DeiT-Tiny, the attention baseline")
DeiTBase = _deit("base", "DeiTBase", "DeiT-Base, the attention baseline")
