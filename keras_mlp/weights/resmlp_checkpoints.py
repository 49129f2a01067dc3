"""Checkpoint layouts of ResMLP: the official release and timm's port.

The official `.pth` files (facebookresearch/deit, `resmlp_models.py`) hold
`{"model": state_dict}`; timm renames their keys in its
`checkpoint_filter_fn` (`patch_embed` -> `stem`, `attn` -> `linear_tokens`,
`mlp` -> `mlp_channels`, `gamma_` -> `ls`) and stores `Affine`'s `alpha`,
`beta` as `(1, 1, dim)`. Both tables map onto the same Keras variables.
"""

import numpy as np

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, transpose, weight_and_bias
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.patch_resampling import PatchWeight


def flatten(array):
    """timm's `(1, 1, dim)` `Affine` parameters -> `(dim,)`."""
    return np.reshape(array, (-1,))


def _layout(name, stem, token_mixing, mlp, layer_scale):
    b = r"blocks\.(\d+)"
    return KeyMap(
        name=name,
        rules=(
            *weight_and_bias(rf"{stem}\.proj", "stem", conv_to_hwio),
            (rf"{b}\.norm([12])\.(alpha|beta)", r"block_\1/norm\2/\3", flatten),
            *weight_and_bias(rf"{b}\.{token_mixing}", r"block_\1/token_mixing", transpose),
            (rf"{b}\.{layer_scale}([12])", r"block_\1/ls\2/gamma", None),
            *weight_and_bias(rf"{b}\.{mlp}\.(fc[12])", r"block_\1/channel_mixing/\2", transpose),
            (r"norm\.(alpha|beta)", r"pre_head_norm/\1", flatten),
            *weight_and_bias(r"head", "predictions", transpose),
        ),
    )


OFFICIAL_RESMLP = _layout(
    "official ResMLP (.pth)", stem="patch_embed", token_mixing="attn", mlp="mlp", layer_scale="gamma_"
)
TIMM_RESMLP = _layout(
    "timm resmlp (.pth/.safetensors)",
    stem="stem",
    token_mixing="linear_tokens",
    mlp="mlp_channels",
    layer_scale="ls",
)

SPEC = CheckpointSpec(
    key_maps=(OFFICIAL_RESMLP, TIMM_RESMLP),
    # A `features_only` model ends at the last block, before the final norm.
    head_prefixes=("predictions/", "pre_head_norm/"),
)

PATCH_WEIGHTS = (
    PatchWeight(r"block_\d+/token_mixing/kernel", "pq"),
    PatchWeight(r"block_\d+/token_mixing/bias", "q"),
)
