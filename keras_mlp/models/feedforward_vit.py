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

import numpy as np

import keras

from keras_mlp.layers.class_token_embedding import ClassTokenEmbedding
from keras_mlp.layers.feed_forward_block import FeedForwardBlock
from keras_mlp.layers.transformer_block import TransformerBlock
from keras_mlp.models import common
from keras_mlp.models.registry import register_model
from keras_mlp.weights import feedforward_checkpoints
from keras_mlp.weights import feedforward_pretrained  # noqa: F401  (registers tags)
from keras_mlp.weights.loading import WeightsSource, load_weights

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
# DeiT initialisation, also used by the official feed-forward code.
_INITIALIZER = keras.initializers.TruncatedNormal(stddev=0.02)

BASE_DOCSTRING = """Instantiates {title} (arXiv 2105.02723{paper}).

Inputs are channels-last RGB images, already normalised as the weights
expect: use `keras_mlp.preprocess_input(images, "<model_name>.imagenet")`
(ImageNet mean and std, as DeiT). Any height and width that are multiples of
the patch size ({patch_size}) work.

Args:
    include_top: whether to include the classifier on the class token.
    weights: `None` (random initialisation), the pretrained tag
        `"imagenet"` ({tags}), or the path of a checkpoint: an official
        feed-forward-only `.pth` (DeiT training checkpoint), a timm/DeiT
        `VisionTransformer` `.pth`/`.safetensors` for the attention arm, or
        a keras_mlp `.weights.h5`. Attention weights load at any resolution
        (position embeddings are resized bilinearly); feed-forward weights
        only at their own, because the token MLP has one weight per token.
    input_tensor: optional Keras tensor to use as the image input.
    input_shape: optional `(height, width, 3)`; defaults to `(224, 224, 3)`.
    pooling: with `include_top=False`: `None` returns the
        `(batch, 1 + patches, channels)` tokens, `"avg"`/`"max"` pool the
        patch tokens.
    classes: number of classes of the head. A pretrained head of another
        size is skipped (with a warning) so the model can be fine-tuned.
    classifier_activation: activation of the head; `None` returns logits.{token_mixer_arg}
    drop_path_rate: stochastic depth rate of the last block; it grows
        linearly from 0 over the blocks, as in DeiT.
    dropout_rate: dropout after the embeddings and inside the MLPs.
    name: model name.

Returns:
    A `keras.Model`.

Example:

```python
model = keras_mlp.{constructor}(weights=None, classes=10, input_shape=(64, 64, 3))
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
```
"""

_TOKEN_MIXER_ARG = """
    token_mixer: `"feedforward"` (the paper's model), `"attention"` (the
        ViT/DeiT baseline) or `"attention_only"` (attention without the
        feature MLP). Everything else stays the same, so this one argument
        switches between the arms of the paper's comparison."""


def FeedForwardViT(
    patch_size,
    hidden_dim,
    num_blocks,
    num_heads,
    mlp_ratio=4.0,
    token_mixer="feedforward",
    model_name="feedforward_vit",
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    drop_path_rate=0.0,
    dropout_rate=0.0,
    name=None,
):
    """Generic feed-forward-only ViT / ViT builder; see `FeedForwardBase`.

    `patch_size`, `hidden_dim`, `num_blocks`, `num_heads` and `mlp_ratio` are
    the ViT hyper-parameters; `model_name` is the registry name that
    pretrained tags belong to.

    Example:

    >>> model = FeedForwardViT(8, 32, 2, 2, input_shape=(32, 32, 3), classes=5)
    >>> model.output_shape
    (None, 5)
    """
    _check_token_mixer(token_mixer)
    common.validate_head_args(include_top, pooling, classes, classifier_activation)
    source = WeightsSource(weights, model_name)
    img_input, input_shape = common.image_input(input_tensor, input_shape, 224)
    grid = common.check_patch_grid(input_shape, patch_size)

    converted = None
    if source and not source.is_keras:
        converted = source.read(feedforward_checkpoints.KEY_MAPS)
        if token_mixer == "feedforward":
            _check_token_count(converted, grid, patch_size, source)

    x = keras.layers.Conv2D(
        hidden_dim, patch_size, strides=patch_size, name="stem"
    )(img_input)
    x = keras.layers.Reshape((grid[0] * grid[1], hidden_dim), name="stem_tokens")(x)
    x = ClassTokenEmbedding(name="embedding")(x)
    x = keras.layers.Dropout(dropout_rate, name="embedding_dropout")(x)
    for i, rate in enumerate(np.linspace(0.0, drop_path_rate, num_blocks)):
        block = dict(
            drop_path_rate=float(rate),
            dropout_rate=dropout_rate,
            kernel_initializer=_INITIALIZER,
            name=f"block_{i}",
        )
        if token_mixer == "feedforward":
            x = FeedForwardBlock(mlp_ratio, **block)(x)
        else:
            ratio = mlp_ratio if token_mixer == "attention" else None
            x = TransformerBlock(num_heads, mlp_ratio=ratio, **block)(x)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="pre_head_norm")(x)
    if include_top:
        x = common.dense_head(x[:, 0], classes, classifier_activation, _INITIALIZER)
    elif pooling == "avg":
        x = keras.layers.GlobalAveragePooling1D(name="avg_pool")(x[:, 1:])
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling1D(name="max_pool")(x[:, 1:])
    model = common.functional_model(img_input, input_tensor, x, name or model_name)

    if source:
        load_weights(
            model,
            source,
            feedforward_checkpoints.KEY_MAPS,
            adapt=feedforward_checkpoints.adapt_position_embedding(grid),
            converted=converted,
        )
    return model


def _check_token_count(converted, grid, patch_size, source):
    """The token MLP has one weight per token: refuse another resolution."""
    trained = feedforward_checkpoints.num_tokens_of_token_mlp(converted)
    tokens = 1 + grid[0] * grid[1]
    if trained in (None, tokens):
        return
    side = int(round((trained - 1) ** 0.5))
    raise ValueError(
        f"Weights {source} were trained on {trained} tokens ({side}x{side} "
        f"patches and the class token); the model's `input_shape` gives "
        f"{tokens} ({grid[0]}x{grid[1]} patches and the class token). The "
        "feed-forward token MLP has one weight per token, so it cannot be "
        f"resized: use `input_shape=({side * patch_size}, {side * patch_size}, 3)`, "
        "or resize the images instead."
    )


def _check_token_mixer(token_mixer):
    if token_mixer not in TOKEN_MIXERS:
        raise ValueError(
            f"`token_mixer` must be one of {sorted(TOKEN_MIXERS)}. "
            f"Received: token_mixer={token_mixer!r}"
        )


def _build(size, token_mixer, **kwargs):
    _check_token_mixer(token_mixer)
    return FeedForwardViT(
        **MODEL_CONFIGS[size],
        token_mixer=token_mixer,
        model_name=f"{TOKEN_MIXERS[token_mixer]}_{size}",
        **kwargs,
    )


def _document(constructor, size, registry_name, title, paper="", token_mixer_arg=""):
    constructor.__doc__ = BASE_DOCSTRING.format(
        title=title,
        paper=paper,
        patch_size=MODEL_CONFIGS[size]["patch_size"],
        tags=", ".join(_tags(registry_name)) or "none published",
        token_mixer_arg=token_mixer_arg,
        constructor=constructor.__name__,
    )
    return register_model(registry_name)(constructor)


def _feedforward(size, public_name, title):
    def constructor(
        include_top=True,
        weights=None,
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        token_mixer="feedforward",
        drop_path_rate=0.0,
        dropout_rate=0.0,
        name=None,
    ):
        return _build(
            size,
            token_mixer,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            drop_path_rate=drop_path_rate,
            dropout_rate=dropout_rate,
            name=name,
        )

    constructor.__name__ = constructor.__qualname__ = public_name
    return _document(
        constructor, size, f"feedforward_{size}", title, token_mixer_arg=_TOKEN_MIXER_ARG
    )


def _deit(size, public_name, title):
    def constructor(
        include_top=True,
        weights=None,
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        drop_path_rate=0.0,
        dropout_rate=0.0,
        name=None,
    ):
        return _build(
            size,
            "attention",
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            drop_path_rate=drop_path_rate,
            dropout_rate=dropout_rate,
            name=name,
        )

    constructor.__name__ = constructor.__qualname__ = public_name
    return _document(
        constructor, size, f"deit_{size}", title, paper=", baseline: DeiT, arXiv 2012.12877"
    )


def _tags(model_name):
    from keras_mlp.weights.registry import list_pretrained

    return list_pretrained(model_name)


FeedForwardTiny = _feedforward("tiny", "FeedForwardTiny", "the feed-forward-only ViT-Tiny")
FeedForwardBase = _feedforward("base", "FeedForwardBase", "the feed-forward-only ViT-Base")
FeedForwardLarge = _feedforward("large", "FeedForwardLarge", "the feed-forward-only ViT-Large/32")
# The paper's baselines: `FeedForwardTiny(token_mixer="attention")` is DeiTTiny.
DeiTTiny = _deit("tiny", "DeiTTiny", "DeiT-Tiny, the attention baseline")
DeiTBase = _deit("base", "DeiTBase", "DeiT-Base, the attention baseline")
