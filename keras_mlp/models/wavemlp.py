"""Wave-MLP (Tang et al., CVPR 2022, arXiv 2111.12294).

The pyramid of `pyramid.py` with `WaveBlock`s, as the official
`wavemlp.py` (huawei-noah/Efficient-AI-Backbones): BatchNorms (T, T*) or
one-group GroupNorms (S, M) in the blocks, after the stem and after each
downsampling conv (M has none there), and before the head.
"""

import inspect

from keras_mlp.layers.wave_block import WaveBlock, wave_norm
from keras_mlp.models import factory, pyramid
from keras_mlp.models.pyramid import LINEAR_INITIALIZER, pyramid_model
from keras_mlp.weights import wavemlp_checkpoints
from keras_mlp.weights.loading import WeightsSource, load_weights

_DIMS = (64, 128, 320, 512)
# `WaveMLP_T_dw`, `WaveMLP_T`, `WaveMLP_S`, `WaveMLP_M` of the official wavemlp.py.
MODEL_CONFIGS = {
    "wavemlp_t_dw": dict(embed_dims=_DIMS, depths=(2, 2, 4, 2), mlp_ratios=(4, 4, 4, 4), mode="depthwise"),
    "wavemlp_t": dict(embed_dims=_DIMS, depths=(2, 2, 4, 2), mlp_ratios=(4, 4, 4, 4)),
    "wavemlp_s": dict(embed_dims=_DIMS, depths=(2, 3, 10, 3), mlp_ratios=(4, 4, 4, 4), norm="group"),
    "wavemlp_m": dict(
        embed_dims=_DIMS, depths=(3, 4, 18, 3), mlp_ratios=(8, 8, 4, 4), norm="group", downsample_norm=False
    ),
}

BASE_DOCSTRING = """Instantiates the {title} model (Wave-MLP, arXiv 2111.12294).

Inputs are channels-last RGB images, already normalised as the weights
expect: use `keras_mlp.preprocess_input(images, "{model_name}.imagenet1k")`
(ImageNet mean and std). Any height and width of at least {min_size} work,
square or not, with or without weights: every weight is per channel (the
token FCs are 1 x 7 and 7 x 1 windows), and the four stages run at
strides 4, 8, 16 and 32.
"""


def _build(args, *, model_name, embed_dims, depths, mlp_ratios, mode="fc", norm="batch", downsample_norm=True):
    source = WeightsSource(args.weights, model_name)

    def make_block(stage, width, rate, name):
        return WaveBlock(
            mlp_ratio=mlp_ratios[stage],
            mode=mode,
            norm=norm,
            drop_path_rate=rate,
            kernel_initializer=LINEAR_INITIALIZER,
            name=name,
        )

    def make_norm(name):
        return wave_norm(norm, name)

    model = pyramid_model(
        args,
        model_name=model_name,
        embed_dims=embed_dims,
        depths=depths,
        make_block=make_block,
        make_norm=make_norm if downsample_norm else None,
        make_head_norm=make_norm,
    )
    if source:
        load_weights(model, source, wavemlp_checkpoints.SPEC)
    return model


FAMILY = factory.Family(
    build=_build,
    docstring=BASE_DOCSTRING,
    arg_docs=dict(
        include_top="whether to include the final norm, pool and classifier.",
        **pyramid.ARG_DOCS,
    ),
)

WaveMLP = factory.generic_builder(
    FAMILY,
    "WaveMLP",
    architecture=(
        *((name, inspect.Parameter.empty) for name in ("embed_dims", "depths", "mlp_ratios")),
        ("mode", "fc"),
        ("norm", "batch"),
        ("downsample_norm", True),
    ),
    module=__name__,
    model_name="wavemlp",
    doc="""Generic Wave-MLP builder; see `WaveMLPT` for the other arguments.

    `embed_dims`, `depths` and `mlp_ratios` have one entry per stage;
    `mode` is PATM's phase estimate (`"fc"`, or `"depthwise"` for T*),
    `norm` `"batch"` (T, T*) or `"group"` (S, M), `downsample_norm`
    whether the stem and downsampling convs are followed by that norm
    (all but M).

    Example:

    >>> model = WaveMLP((8, 16, 24, 32), (1, 1, 1, 1), (2, 2, 2, 2), input_shape=(32, 48, 3), classes=5)
    >>> model.output_shape
    (None, 5)
    """,
)


def _constructor(model_name, public_name, title):
    return pyramid.constructor(
        FAMILY, MODEL_CONFIGS, model_name, public_name, title, __name__, formats="an official `.pth.tar` release, "
    )


WaveMLPTDW = _constructor("wavemlp_t_dw", "WaveMLPTDW", "Wave-MLP-T* (depthwise phase)")
WaveMLPT = _constructor("wavemlp_t", "WaveMLPT", "Wave-MLP-T")
WaveMLPS = _constructor("wavemlp_s", "WaveMLPS", "Wave-MLP-S")
WaveMLPM = _constructor("wavemlp_m", "WaveMLPM", "Wave-MLP-M")
