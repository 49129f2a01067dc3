"""MLP-Mixer (Tolstikhin et al., 2021, arXiv 2105.01601).

patches -> per-patch linear stem -> N x MLPMixerBlock -> LayerNorm ->
global average pool -> linear head.
"""

import math

import keras

from keras_mlp.layers.mixer_block import MLPMixerBlock
from keras_mlp.models import common
from keras_mlp.models.registry import register_model
from keras_mlp.weights import mixer_checkpoints
from keras_mlp.weights import mixer_pretrained  # noqa: F401  (registers tags)
from keras_mlp.weights.loading import WeightsSource, load_weights

# Table 1 of the paper, plus T/4: a small model for 32x32 images (not in the
# paper) that the embedded-dataset demo and CIFAR-sized data use.
MODEL_CONFIGS = {
    "mixer_t4": dict(patch_size=4, hidden_dim=128, num_blocks=4, tokens_mlp_dim=64, channels_mlp_dim=256, default_size=32),
    "mixer_s32": dict(patch_size=32, hidden_dim=512, num_blocks=8, tokens_mlp_dim=256, channels_mlp_dim=2048),
    "mixer_s16": dict(patch_size=16, hidden_dim=512, num_blocks=8, tokens_mlp_dim=256, channels_mlp_dim=2048),
    "mixer_b32": dict(patch_size=32, hidden_dim=768, num_blocks=12, tokens_mlp_dim=384, channels_mlp_dim=3072),
    "mixer_b16": dict(patch_size=16, hidden_dim=768, num_blocks=12, tokens_mlp_dim=384, channels_mlp_dim=3072),
    "mixer_l32": dict(patch_size=32, hidden_dim=1024, num_blocks=24, tokens_mlp_dim=512, channels_mlp_dim=4096),
    "mixer_l16": dict(patch_size=16, hidden_dim=1024, num_blocks=24, tokens_mlp_dim=512, channels_mlp_dim=4096),
    "mixer_h14": dict(patch_size=14, hidden_dim=1280, num_blocks=32, tokens_mlp_dim=640, channels_mlp_dim=5120),
}

BASE_DOCSTRING = """Instantiates the {title} model (MLP-Mixer, arXiv 2105.01601).

Inputs are channels-last RGB images, already normalised as the weights
expect: use `keras_mlp.preprocess_input(images, "{model_name}.<tag>")`.
Any height and width that are multiples of the patch size ({patch_size}) work.

Args:
    include_top: whether to include the average pool and classifier.
    weights: `None` (random initialisation), a pretrained tag
        ({tags}), or the path of a checkpoint: official Flax `.npz`,
        timm `.pth`/`.safetensors`, a keras_mlp `.weights.h5` (same
        architecture) or a saved `.keras` model. Every form but `.weights.h5`
        loads at a resolution `K` times the checkpoint's by adapting the
        token-mixing MLP as in the paper's Appendix C.
    input_tensor: optional Keras tensor to use as the image input.
    input_shape: optional `(height, width, 3)`; defaults to `({default_size}, {default_size}, 3)`.
    pooling: with `include_top=False`: `None` returns the
        `(batch, rows, cols, channels)` patch features, `"avg"`/`"max"` pool them.
    classes: number of classes of the head. A pretrained head of another
        size is skipped (with a warning) so the model can be fine-tuned.
    classifier_activation: activation of the head; `None` returns logits.
    drop_path_rate: stochastic depth rate of every block.
    dropout_rate: dropout inside the MLPs.
    gelu_approximate: tanh-approximate GELU. `None` picks what the weights
        were trained with: `True` for official Flax checkpoints, else `False`.
    name: model name.

Returns:
    A `keras.Model`.

Example:

```python
model = keras_mlp.{constructor}(weights=None, classes=10, input_shape=(64, 64, 3))
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
```
"""


def MLPMixer(
    patch_size,
    hidden_dim,
    num_blocks,
    tokens_mlp_dim,
    channels_mlp_dim,
    default_size=224,
    model_name="mlp_mixer",
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    drop_path_rate=0.0,
    dropout_rate=0.0,
    gelu_approximate=None,
    name=None,
):
    """Generic MLP-Mixer builder; see `MixerB16` for the arguments.

    `patch_size`, `hidden_dim` (C), `num_blocks`, `tokens_mlp_dim` (D_S) and
    `channels_mlp_dim` (D_C) are the paper's Table 1 hyper-parameters;
    `default_size` is the input side when `input_shape` is not given;
    `model_name` is the registry name that pretrained tags belong to.
    """
    common.validate_head_args(include_top, pooling, classes, classifier_activation)
    source = WeightsSource(weights, model_name)
    img_input, input_shape = common.image_input(input_tensor, input_shape, default_size)
    grid = common.check_patch_grid(input_shape, patch_size)

    if gelu_approximate is None:
        if source.record:
            gelu_approximate = source.record.gelu_approximate
        else:
            gelu_approximate = bool(source.path) and source.is_flax
    converted = None
    if source and not source.is_keras:
        converted = source.read(mixer_checkpoints.KEY_MAPS)
        tokens_mlp_dim *= _token_grid_factor(converted, grid, source) ** 2

    x = keras.layers.Conv2D(
        hidden_dim, patch_size, strides=patch_size, name="stem"
    )(img_input)
    x = keras.layers.Reshape((grid[0] * grid[1], hidden_dim), name="stem_tokens")(x)
    for i in range(num_blocks):
        x = MLPMixerBlock(
            tokens_mlp_dim,
            channels_mlp_dim,
            drop_path_rate=drop_path_rate,
            dropout_rate=dropout_rate,
            gelu_approximate=gelu_approximate,
            name=f"block_{i}",
        )(x)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="pre_head_norm")(x)
    x = keras.layers.Reshape((*grid, hidden_dim), name="patch_grid")(x)
    x = common.classification_head(
        x, include_top, pooling, classes, classifier_activation, "zeros"
    )
    model = common.functional_model(img_input, input_tensor, x, name or model_name)

    if source:
        load_weights(
            model,
            source,
            mixer_checkpoints.KEY_MAPS,
            adapt=mixer_checkpoints.adapt_token_mixing(grid),
            converted=converted,
        )
    return model


def _token_grid_factor(converted, grid, source):
    """How many times finer per side the model's patch grid is than the
    checkpoint's; the token-mixing MLP is then `K^2` times wider."""
    kernel = converted.get("block_0/token_mixing/fc1/kernel")
    if kernel is None:
        return 1  # assign_weights reports what is missing
    num_patches = kernel.shape[0]
    factor = mixer_checkpoints.grid_factor(num_patches, grid)
    if factor is None:
        side = math.isqrt(num_patches)
        raise ValueError(
            f"Weights {source} were trained on {num_patches} patches "
            f"({side}x{side}); the model's `input_shape` gives a {grid[0]}x"
            f"{grid[1]} patch grid. The token-mixing MLP adapts only to a "
            f"square grid K times finer ({2 * side}x{2 * side}, {3 * side}x"
            f"{3 * side}, ...): choose such an `input_shape`, or keep the "
            "checkpoint's resolution."
        )
    return factor


def _constructor(model_name, title):
    config = MODEL_CONFIGS[model_name]

    @register_model(model_name)
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
        gelu_approximate=None,
        name=None,
    ):
        return MLPMixer(
            **config,
            model_name=model_name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            drop_path_rate=drop_path_rate,
            dropout_rate=dropout_rate,
            gelu_approximate=gelu_approximate,
            name=name,
        )

    public_name = "Mixer" + title.replace("/", "").replace("Mixer-", "")
    constructor.__name__ = constructor.__qualname__ = public_name
    constructor.__doc__ = BASE_DOCSTRING.format(
        title=title,
        model_name=model_name,
        patch_size=config["patch_size"],
        default_size=config.get("default_size", 224),
        tags=", ".join(f'`"{t.partition(".")[2]}"`' for t in _tags(model_name)) or "none published",
        constructor=public_name,
    )
    return constructor


def _tags(model_name):
    from keras_mlp.weights.registry import list_pretrained

    return list_pretrained(model_name)


MixerT4 = _constructor("mixer_t4", "Mixer-T/4")
MixerS32 = _constructor("mixer_s32", "Mixer-S/32")
MixerS16 = _constructor("mixer_s16", "Mixer-S/16")
MixerB32 = _constructor("mixer_b32", "Mixer-B/32")
MixerB16 = _constructor("mixer_b16", "Mixer-B/16")
MixerL32 = _constructor("mixer_l32", "Mixer-L/32")
MixerL16 = _constructor("mixer_l16", "Mixer-L/16")
MixerH14 = _constructor("mixer_h14", "Mixer-H/14")
