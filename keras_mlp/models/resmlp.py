"""ResMLP (Touvron et al., 2021, arXiv 2105.03404).

patches -> per-patch linear stem -> N x ResMLPBlock -> Affine ->
global average pool -> linear head.
"""

import keras

from keras_mlp.layers.affine import Affine
from keras_mlp.layers.resmlp_block import ResMLPBlock
from keras_mlp.models import factory, isotropic
from keras_mlp.weights import resmlp_checkpoints, resmlp_pretrained

# The official `resmlp_models.py`: width 384 and patch 16 for the S models,
# 768 and patch 8 for B24; LayerScale starts smaller the deeper the model.
MODEL_CONFIGS = {
    "resmlp_s12": dict(patch_size=16, hidden_dim=384, num_blocks=12, layer_scale_init=0.1),
    "resmlp_s24": dict(patch_size=16, hidden_dim=384, num_blocks=24, layer_scale_init=1e-5),
    "resmlp_s36": dict(patch_size=16, hidden_dim=384, num_blocks=36, layer_scale_init=1e-6),
    "resmlp_b24": dict(patch_size=8, hidden_dim=768, num_blocks=24, layer_scale_init=1e-6),
}
# The official initialisation of every linear layer, head included.
_LINEAR_INITIALIZER = dict(class_name="TruncatedNormal", config=dict(stddev=0.02))

BASE_DOCSTRING = """Instantiates the {title} model (ResMLP, arXiv 2105.03404).

Inputs are channels-last RGB images, already normalised as the weights
expect: use `keras_mlp.preprocess_input(images, "{model_name}.<tag>")`
(ImageNet mean and std, as DeiT). Any height and width that are multiples
of the patch size ({patch_size}) work. A checkpoint loads at its own patch grid
or at one `K` times finer per side, where its token-mixing layers act
block-diagonally on the `K x K` strided sub-grids (the MLP-Mixer paper's
Appendix C); at any other grid they are resampled (docs/resolution.md).
"""


def _build(args, *, layer_scale_init=1e-4, mlp_ratio=4.0, dropout_rate=0.0, **architecture):
    def make_block(index, name, grid):
        return ResMLPBlock(
            mlp_ratio=mlp_ratio,
            layer_scale_init=layer_scale_init,
            drop_path_rate=args.drop_path_rate,
            dropout_rate=dropout_rate,
            kernel_initializer=_LINEAR_INITIALIZER,
            name=name,
        )

    return isotropic.pretrained_model(
        args,
        resmlp_checkpoints,
        make_block=make_block,
        make_final_norm=lambda name: Affine(name=name),
        head_initializer=keras.initializers.get(_LINEAR_INITIALIZER),
        **architecture,
    )


FAMILY = factory.Family(
    build=_build,
    extras=(("dropout_rate", 0.0),),
    docstring=BASE_DOCSTRING,
    configs=MODEL_CONFIGS,
    doc_values=dict(isotropic.DOC_VALUES, formats="an official `.pth` release, a timm `.pth`/`.safetensors`, "),
    representative="resmlp_s12",
    pretrained=resmlp_pretrained.RECORDS,
    timm_architectures={
        f"resmlp_{timm}_224": factory.TimmArchitecture(name, "avg")
        for timm, name in (("12", "resmlp_s12"), ("24", "resmlp_s24"), ("36", "resmlp_s36"), ("big_24", "resmlp_b24"))
    },
    # The paper's Table 1 "FLOPs", multiply-adds.
    reference_gmacs={"resmlp_s12": 3.0, "resmlp_b24": 100.2},
    page="docs/resmlp.md",
    arg_docs=dict(
        pooling=(
            "with `include_top=False`: `None` returns the `(batch, rows, cols, "
            "channels)` patch features after the final Affine, `\"avg\"`/"
            "`\"max\"` pool them."
        ),
        drop_path_rate="stochastic depth rate of every block's two branches, the same in every block.",
        dropout_rate="dropout inside the channel MLPs.",
    ),
)

ResMLP = factory.generic_builder(
    FAMILY,
    "ResMLP",
    required=("patch_size", "hidden_dim", "num_blocks"),
    optional=(
        ("layer_scale_init", 1e-4),
        ("mlp_ratio", 4.0),
        ("default_size", 224),
    ),
    see="ResMLPS12",
    example="8, 32, 2, input_shape=(32, 32, 3)",
    doc="""
    `patch_size`, `hidden_dim` and `num_blocks` are the paper's Table 1
    hyper-parameters; `layer_scale_init` is the initial LayerScale of both
    branches (the official models use 0.1 at depth 12, 1e-5 at 24, 1e-6
    at 36 and for B24), `mlp_ratio` the channel MLP's expansion,
    `default_size` the input side when `input_shape` is not given.
    """,
)


ResMLPS12 = factory.constructor(FAMILY, "resmlp_s12", "ResMLPS12", "ResMLP-S12")
ResMLPS24 = factory.constructor(FAMILY, "resmlp_s24", "ResMLPS24", "ResMLP-S24")
ResMLPS36 = factory.constructor(FAMILY, "resmlp_s36", "ResMLPS36", "ResMLP-S36")
ResMLPB24 = factory.constructor(FAMILY, "resmlp_b24", "ResMLPB24", "ResMLP-B24")
