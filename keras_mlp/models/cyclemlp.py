"""CycleMLP (Chen et al., ICLR 2022, arXiv 2107.10224).

The pyramid of `pyramid.py` with `CycleMLPBlock`s and LayerNorms, as the
official `cycle_mlp.py` (ShoufaChen/CycleMLP): no norm after the stem or
the downsampling convs.
"""

import keras

from keras_mlp.layers.cycle_mlp_block import LAYER_NORM_EPSILON, CycleMLPBlock
from keras_mlp.models import factory, pyramid
from keras_mlp.models.pyramid import LINEAR_INITIALIZER, pyramid_model
from keras_mlp.weights import cyclemlp_checkpoints, cyclemlp_pretrained

_DIMS = (64, 128, 320, 512)
# `CycleMLP_B1` ... `CycleMLP_B5` of the official cycle_mlp.py.
MODEL_CONFIGS = {
    "cyclemlp_b1": dict(embed_dims=_DIMS, depths=(2, 2, 4, 2), mlp_ratios=(4, 4, 4, 4)),
    "cyclemlp_b2": dict(embed_dims=_DIMS, depths=(2, 3, 10, 3), mlp_ratios=(4, 4, 4, 4)),
    "cyclemlp_b3": dict(embed_dims=_DIMS, depths=(3, 4, 18, 3), mlp_ratios=(8, 8, 4, 4)),
    "cyclemlp_b4": dict(embed_dims=_DIMS, depths=(3, 8, 27, 3), mlp_ratios=(8, 8, 4, 4)),
    "cyclemlp_b5": dict(embed_dims=(96, 192, 384, 768), depths=(3, 4, 24, 3), mlp_ratios=(4, 4, 4, 4)),
}

BASE_DOCSTRING = """Instantiates the {title} model (CycleMLP, arXiv 2107.10224).

Inputs are channels-last RGB images, already normalised as the weights
expect: use `keras_mlp.preprocess_input(images, "{model_name}.imagenet1k")`
(ImageNet mean and std). Any height and width of at least {min_size} work,
square or not, with or without weights: every weight is per channel, and
the four stages run at strides 4, 8, 16 and 32.
"""


def _layer_norm(name):
    return keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name=name)


def _build(args, *, model_name, embed_dims, depths, mlp_ratios):
    def make_block(stage, width, rate, name):
        return CycleMLPBlock(
            mlp_ratio=mlp_ratios[stage], drop_path_rate=rate, kernel_initializer=LINEAR_INITIALIZER, name=name
        )

    return pyramid_model(
        args,
        cyclemlp_checkpoints.SPEC,
        model_name=model_name,
        embed_dims=embed_dims,
        depths=depths,
        make_block=make_block,
        make_head_norm=_layer_norm,
    )


FAMILY = pyramid.family(
    name="CycleMLP",
    head_norm="LayerNorm",
    formats="an official `.pth` release, ",
    build=_build,
    docstring=BASE_DOCSTRING,
    configs=MODEL_CONFIGS,
    representative="cyclemlp_b1",
    pretrained=cyclemlp_pretrained.RECORDS,
    # The paper's Table 1 "FLOPs", multiply-adds at 224.
    reference_gmacs=dict(cyclemlp_b1=2.1, cyclemlp_b2=3.9, cyclemlp_b3=6.9, cyclemlp_b4=10.1, cyclemlp_b5=12.3),
    page="docs/cyclemlp.md",
)

CycleMLP = pyramid.generic_builder(FAMILY, "CycleMLP", see="CycleMLPB1", title="CycleMLP")


CycleMLPB1 = factory.constructor(FAMILY, "cyclemlp_b1", "CycleMLPB1", "CycleMLP-B1")
CycleMLPB2 = factory.constructor(FAMILY, "cyclemlp_b2", "CycleMLPB2", "CycleMLP-B2")
CycleMLPB3 = factory.constructor(FAMILY, "cyclemlp_b3", "CycleMLPB3", "CycleMLP-B3")
CycleMLPB4 = factory.constructor(FAMILY, "cyclemlp_b4", "CycleMLPB4", "CycleMLP-B4")
CycleMLPB5 = factory.constructor(FAMILY, "cyclemlp_b5", "CycleMLPB5", "CycleMLP-B5")
