"""gMLP (Liu et al., 2021, "Pay Attention to MLPs", arXiv 2105.08050).

patches -> per-patch linear stem -> N x GMLPBlock -> LayerNorm ->
global average pool -> linear head. The paper published no code; timm's
`mlp_mixer.py` (`gmlp_*_224`) is the reference.
"""

import keras

from keras_mlp.layers.gmlp_block import GMLPBlock
from keras_mlp.models import factory, isotropic
from keras_mlp.weights import gmlp_checkpoints, gmlp_pretrained

# Table 1 of the paper (30 blocks, d_ffn = 6 d_model), as timm builds them.
MODEL_CONFIGS = {
    "gmlp_ti16": dict(patch_size=16, hidden_dim=128, num_blocks=30),
    "gmlp_s16": dict(patch_size=16, hidden_dim=256, num_blocks=30),
    "gmlp_b16": dict(patch_size=16, hidden_dim=512, num_blocks=30),
}

BASE_DOCSTRING = """Instantiates the {title} model (gMLP, arXiv 2105.08050).

Inputs are channels-last RGB images, already normalised as the weights
expect: use `keras_mlp.preprocess_input(images, "{model_name}.<tag>")`
(pixels mapped to [-1, 1] for timm's weights). Any height and width that
are multiples of the patch size (16) work. A checkpoint loads at its own
patch grid or at one `K` times finer per side, where its spatial gating
projections act block-diagonally on the `K x K` strided sub-grids (the
MLP-Mixer paper's Appendix C); at any other grid they are resampled (docs/resolution.md).
"""


def _build(args, *, mlp_ratio=6.0, dropout_rate=0.0, **architecture):
    def make_block(index, name, grid):
        return GMLPBlock(
            mlp_ratio=mlp_ratio, drop_path_rate=args.drop_path_rate, dropout_rate=dropout_rate, name=name
        )

    return isotropic.pretrained_model(
        args,
        gmlp_checkpoints,
        make_block=make_block,
        make_final_norm=lambda name: keras.layers.LayerNormalization(epsilon=1e-6, name=name),
        head_initializer="zeros",
        **architecture,
    )


FAMILY = factory.Family(
    build=_build,
    extras=(("dropout_rate", 0.0),),
    docstring=BASE_DOCSTRING,
    configs=MODEL_CONFIGS,
    doc_values=dict(isotropic.DOC_VALUES, formats="a timm `.pth`/`.safetensors`, "),
    representative="gmlp_ti16",
    pretrained=gmlp_pretrained.RECORDS,
    timm_architectures={f"{name}_224": factory.TimmArchitecture(name, "avg") for name in MODEL_CONFIGS},
    # The paper's Table 1 "FLOPs", multiply-adds.
    reference_gmacs={"gmlp_s16": 4.5},
    page="docs/gmlp.md",
    arg_docs=dict(
        pooling=(
            "with `include_top=False`: `None` returns the `(batch, rows, cols, "
            "channels)` patch features after the final LayerNorm, `\"avg\"`/"
            "`\"max\"` pool them."
        ),
        drop_path_rate=(
            "stochastic depth rate of every block, the same in every block "
            "(the paper's survival probability is `1 - drop_path_rate`)."
        ),
        dropout_rate="dropout after the GELU and after each block's output projection.",
    ),
)

GMLP = factory.generic_builder(
    FAMILY,
    "GMLP",
    required=("patch_size", "hidden_dim", "num_blocks"),
    optional=(
        ("mlp_ratio", 6.0),
        ("default_size", 224),
    ),
    see="GMLPS16",
    example="8, 32, 2, input_shape=(32, 32, 3)",
    title="gMLP",
    doc="""
    `patch_size`, `hidden_dim` (`d_model`) and `num_blocks` are the paper's
    Table 1 hyper-parameters, `mlp_ratio` is `d_ffn / d_model` (6 in the
    paper), `default_size` the input side when `input_shape` is not given.
    """,
)


GMLPTi16 = factory.constructor(FAMILY, "gmlp_ti16", "GMLPTi16", "gMLP-Ti/16")
GMLPS16 = factory.constructor(FAMILY, "gmlp_s16", "GMLPS16", "gMLP-S/16")
GMLPB16 = factory.constructor(FAMILY, "gmlp_b16", "GMLPB16", "gMLP-B/16")
