"""Wave-MLP (Tang et al., CVPR 2022, arXiv 2111.12294).

The pyramid of `pyramid.py` with `WaveBlock`s, as the official
`wavemlp.py` (huawei-noah/Efficient-AI-Backbones): BatchNorms (T, T*) or
one-group GroupNorms (S, M) in the blocks, after the stem and after each
downsampling conv (M has none there), and before the head.
"""

from keras_mlp.layers.wave_block import WaveBlock, wave_norm
from keras_mlp.models import factory, pyramid
from keras_mlp.models.pyramid import LINEAR_INITIALIZER, pyramid_model
from keras_mlp.weights import wavemlp_checkpoints, wavemlp_pretrained

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

    return pyramid_model(
        args,
        wavemlp_checkpoints.SPEC,
        model_name=model_name,
        embed_dims=embed_dims,
        depths=depths,
        make_block=make_block,
        make_norm=make_norm if downsample_norm else None,
        make_head_norm=make_norm,
    )


FAMILY = pyramid.family(
    name="Wave-MLP",
    head_norm="norm",
    formats="an official `.pth.tar` release, ",
    build=_build,
    docstring=BASE_DOCSTRING,
    configs=MODEL_CONFIGS,
    representative="wavemlp_t_dw",
    pretrained=wavemlp_pretrained.RECORDS,
    # The paper's Table 1 "FLOPs", multiply-adds at 224.
    reference_gmacs={"wavemlp_t": 2.4, "wavemlp_s": 4.5, "wavemlp_m": 7.9},
    page="docs/wavemlp.md",
)

WaveMLP = pyramid.generic_builder(
    FAMILY,
    "WaveMLP",
    see="WaveMLPT",
    title="Wave-MLP",
    extra_architecture=(("mode", "fc"), ("norm", "batch"), ("downsample_norm", True)),
    extra_doc=""";
    `mode` is PATM's phase estimate (`"fc"`, or `"depthwise"` for T*),
    `norm` `"batch"` (T, T*) or `"group"` (S, M), `downsample_norm`
    whether the stem and downsampling convs are followed by that norm
    (all but M)""",
)


WaveMLPTDW = factory.constructor(FAMILY, "wavemlp_t_dw", "WaveMLPTDW", "Wave-MLP-T* (depthwise phase)")
WaveMLPT = factory.constructor(FAMILY, "wavemlp_t", "WaveMLPT", "Wave-MLP-T")
WaveMLPS = factory.constructor(FAMILY, "wavemlp_s", "WaveMLPS", "Wave-MLP-S")
WaveMLPM = factory.constructor(FAMILY, "wavemlp_m", "WaveMLPM", "Wave-MLP-M")
