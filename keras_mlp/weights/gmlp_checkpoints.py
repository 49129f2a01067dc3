"""Checkpoint layout of gMLP: timm's `mlp_mixer.py` (`gmlp_*_224`).

The paper has no official code or weights; timm's implementation and its
`gmlp_s16_224.ra3_in1k` weights (`.pth` release, `.safetensors` on the
Hugging Face Hub, same keys) are the reference.
"""

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, norm, transpose, weight_and_bias
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.patch_resampling import PatchWeight

_B = r"blocks\.(\d+)"
_MLP = _B + r"\.mlp_channels"
TIMM_GMLP = KeyMap(
    name="timm gmlp (.pth/.safetensors)",
    rules=(
        *weight_and_bias(r"stem\.proj", "stem", conv_to_hwio),
        *norm(_B + r"\.norm", r"block_\1/norm"),
        *weight_and_bias(_MLP + r"\.(fc[12])", r"block_\1/\2", transpose),
        *norm(_MLP + r"\.gate\.norm", r"block_\1/spatial_gating/norm"),
        *weight_and_bias(_MLP + r"\.gate\.proj", r"block_\1/spatial_gating/proj", transpose),
        *norm(r"norm", "pre_head_norm"),
        *weight_and_bias(r"head", "predictions", transpose),
    ),
)

SPEC = CheckpointSpec(
    key_maps=(TIMM_GMLP,),
    # A `features_only` model ends at the last block, before the final norm.
    head_prefixes=("predictions/", "pre_head_norm/"),
)

PATCH_WEIGHTS = (
    PatchWeight(r"block_\d+/spatial_gating/proj/kernel", "pq"),
    PatchWeight(r"block_\d+/spatial_gating/proj/bias", "q"),
)
