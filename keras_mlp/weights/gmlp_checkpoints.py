"""Checkpoint layout of gMLP: timm's `mlp_mixer.py` (`gmlp_*_224`).

The paper has no official code or weights; timm's implementation and its
`gmlp_s16_224.ra3_in1k` weights (`.pth` release, `.safetensors` on the
Hugging Face Hub, same keys) are the reference.
"""

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, transpose
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.patch_resampling import PatchWeight

_B = r"blocks\.(\d+)"
_MLP = _B + r"\.mlp_channels"
TIMM_GMLP = KeyMap(
    name="timm gmlp (.pth/.safetensors)",
    rules=(
        (r"stem\.proj\.weight", "stem/kernel", conv_to_hwio),
        (r"stem\.proj\.bias", "stem/bias", None),
        (_B + r"\.norm\.weight", r"block_\1/norm/gamma", None),
        (_B + r"\.norm\.bias", r"block_\1/norm/beta", None),
        (_MLP + r"\.(fc[12])\.weight", r"block_\1/\2/kernel", transpose),
        (_MLP + r"\.(fc[12])\.bias", r"block_\1/\2/bias", None),
        (_MLP + r"\.gate\.norm\.weight", r"block_\1/spatial_gating/norm/gamma", None),
        (_MLP + r"\.gate\.norm\.bias", r"block_\1/spatial_gating/norm/beta", None),
        (_MLP + r"\.gate\.proj\.weight", r"block_\1/spatial_gating/proj/kernel", transpose),
        (_MLP + r"\.gate\.proj\.bias", r"block_\1/spatial_gating/proj/bias", None),
        (r"norm\.weight", "pre_head_norm/gamma", None),
        (r"norm\.bias", "pre_head_norm/beta", None),
        (r"head\.weight", "predictions/kernel", transpose),
        (r"head\.bias", "predictions/bias", None),
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
