"""MLP-Mixer (Tolstikhin et al., 2021, arXiv 2105.01601).

patches -> per-patch linear stem -> N x MLPMixerBlock -> LayerNorm ->
global average pool -> linear head.
"""

import keras

from keras_mlp.layers.mixer_block import MLPMixerBlock
from keras_mlp.models import factory, isotropic
from keras_mlp.weights import mixer_checkpoints, mixer_pretrained
from keras_mlp.weights.loading import WeightsSource, load_weights
from keras_mlp.weights.patch_resampling import adapt_patch_weights
from keras_mlp.weights.token_mixing_grid import finer_grid_factor

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
"""


def _build(
    args,
    *,
    model_name,
    patch_size,
    hidden_dim,
    num_blocks,
    tokens_mlp_dim,
    channels_mlp_dim,
    default_size=224,
    dropout_rate=0.0,
    gelu_approximate=None,
    token_mixing_grid=None,
):
    source = WeightsSource(args.weights, model_name)
    # What the weights need (a record's arguments, the Flax format's tanh
    # GELU, a file's patch grid) is settled here, before anything is built;
    # the caller's wins.
    resolved = source.defaults(
        mixer_checkpoints.SPEC, gelu_approximate=gelu_approximate, token_mixing_grid=token_mixing_grid
    )
    gelu_approximate = bool(resolved["gelu_approximate"])
    trained_grid = resolved["token_mixing_grid"]

    def make_block(index, name, grid):
        factor = finer_grid_factor(tuple(trained_grid), grid) if trained_grid else 1
        return MLPMixerBlock(
            tokens_mlp_dim * factor**2,
            channels_mlp_dim,
            drop_path_rate=args.drop_path_rate,
            dropout_rate=dropout_rate,
            gelu_approximate=gelu_approximate,
            name=name,
        )

    def final_norm(name):
        return keras.layers.LayerNormalization(epsilon=1e-6, name=name)

    model, grid = isotropic.isotropic_model(
        args,
        model_name=model_name,
        patch_size=patch_size,
        hidden_dim=hidden_dim,
        num_blocks=num_blocks,
        make_block=make_block,
        make_final_norm=final_norm,
        head_initializer="zeros",
        default_size=default_size,
    )
    # What the weights decided, which the caller's arguments may not show
    # (the GELU of a Flax file, the grid that sets the token MLPs' width at
    # other sizes): training runs record it, so their metadata rebuilds
    # this very model.
    model.weights_arguments = dict(
        gelu_approximate=gelu_approximate, token_mixing_grid=list(trained_grid or grid)
    )
    if source:
        load_weights(
            model,
            source,
            mixer_checkpoints.SPEC,
            adapt=adapt_patch_weights(
                mixer_checkpoints.PATCH_WEIGHTS, grid, model, source_grid=trained_grid
            ),
        )
    return model


# timm implements Mixer with exact (erf) GELU; the official Flax code uses tanh.
_TIMM_MIXER = dict(gelu_approximate=False)

FAMILY = factory.Family(
    build=_build,
    extras=(("dropout_rate", 0.0), ("gelu_approximate", None), ("token_mixing_grid", None)),
    docstring=BASE_DOCSTRING,
    configs=MODEL_CONFIGS,
    doc_values=dict(isotropic.DOC_VALUES, formats="an official Flax `.npz`, a timm `.pth`/`.safetensors`, "),
    representative="mixer_t4",
    pretrained=mixer_pretrained.RECORDS,
    timm_architectures={
        f"{name}_224": factory.TimmArchitecture(name, "avg", _TIMM_MIXER)
        for name in ("mixer_s32", "mixer_s16", "mixer_b32", "mixer_b16", "mixer_l32", "mixer_l16")
    },
    # 25.2 GFLOPs, as FACTS.md measured the official model.
    reference_gmacs={"mixer_b16": 12.6},
    arg_docs=dict(
        pooling=(
            "with `include_top=False`: `None` returns the `(batch, rows, cols, "
            "channels)` patch features after the final LayerNorm, `\"avg\"`/"
            "`\"max\"` pool them."
        ),
        drop_path_rate="stochastic depth rate of every block's two branches.",
        dropout_rate="dropout inside the MLPs.",
        gelu_approximate=(
            "tanh-approximate GELU. `None` picks what the weights were trained "
            "with: their record's, `True` for an official Flax `.npz`, else `False`."
        ),
        token_mixing_grid=(
            "`(rows, cols)` patch grid the token-mixing MLPs were trained on. At "
            "a grid `K` times finer per side the MLPs are `K^2` times wider and "
            "a checkpoint of that grid is loaded block-diagonally, as in the "
            "paper's Appendix C; at any other grid the checkpoint's token MLPs "
            "are resampled (docs/resolution.md). `None`: the grid of the "
            "weights (a pretrained tag's record, or a checkpoint file's square "
            "token-mixing patch count, read before the model is built), else the "
            "model's own grid. Pass it for a non-square checkpoint grid, or to "
            "rebuild a widened model (e.g. to load its `.weights.h5`)."
        ),
    ),
)

MLPMixer = factory.generic_builder(
    FAMILY,
    "MLPMixer",
    required=("patch_size", "hidden_dim", "num_blocks", "tokens_mlp_dim", "channels_mlp_dim"),
    optional=(("default_size", 224),),
    see="MixerB16",
    example="8, 32, 2, 16, 64, input_shape=(32, 32, 3)",
    title="MLP-Mixer",
    model_name="mlp_mixer",
    doc="""
    `patch_size`, `hidden_dim` (C), `num_blocks`, `tokens_mlp_dim` (D_S) and
    `channels_mlp_dim` (D_C) are the paper's Table 1 hyper-parameters;
    `default_size` is the input side when `input_shape` is not given.
    """,
)


MixerT4 = factory.constructor(FAMILY, "mixer_t4", "MixerT4", "Mixer-T/4")
MixerS32 = factory.constructor(FAMILY, "mixer_s32", "MixerS32", "Mixer-S/32")
MixerS16 = factory.constructor(FAMILY, "mixer_s16", "MixerS16", "Mixer-S/16")
MixerB32 = factory.constructor(FAMILY, "mixer_b32", "MixerB32", "Mixer-B/32")
MixerB16 = factory.constructor(FAMILY, "mixer_b16", "MixerB16", "Mixer-B/16")
MixerL32 = factory.constructor(FAMILY, "mixer_l32", "MixerL32", "Mixer-L/32")
MixerL16 = factory.constructor(FAMILY, "mixer_l16", "MixerL16", "Mixer-L/16")
MixerH14 = factory.constructor(FAMILY, "mixer_h14", "MixerH14", "Mixer-H/14")
