"""timm's ResMLP and gMLP at any size, for parity tests.

timm's registered `resmlp_*_224` / `gmlp_*_224` fix the depth and width;
these build its `MlpMixer` with the same block arguments as those functions
(timm/models/mlp_mixer.py), so small test models run the reference code.
"""

from timm.layers import GatedMlp
from timm.models.mlp_mixer import Affine, MlpMixer, ResBlock, SpatialGatingBlock


def resmlp(init_values=1e-4, **kwargs):
    """`resmlp_*_224`: `ResBlock` with `Affine` norms, channel MLP ratio 4."""
    return MlpMixer(
        mlp_ratio=4,
        block_layer=lambda *a, **kw: ResBlock(*a, init_values=init_values, **kw),
        norm_layer=Affine,
        **kwargs,
    )


def gmlp(**kwargs):
    """`gmlp_*_224`: `SpatialGatingBlock` with a `GatedMlp` of ratio 6."""
    return MlpMixer(mlp_ratio=6, block_layer=SpatialGatingBlock, mlp_layer=GatedMlp, **kwargs)
