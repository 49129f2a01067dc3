"""Checkpoint layouts of MLP-Mixer and the paper's resolution adaptation."""

import re

import numpy as np

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, transpose
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.token_mixing_grid import grid_factor, patch_bias, patches_to_units

_B = r"MixerBlock_(\d+)"
# Official JAX/Flax release (google-research/vision_transformer,
# vit_jax/models_mixer.py), flattened with "/" as in the released .npz files.
# Flax kernels are already (in, out) / (h, w, in, out), as in Keras.
FLAX_MIXER = KeyMap(
    name="official Flax MLP-Mixer (.npz)",
    rules=(
        (r"stem/(kernel|bias)", r"stem/\1", None),
        (_B + r"/LayerNorm_0/scale", r"block_\1/norm1/gamma", None),
        (_B + r"/LayerNorm_0/bias", r"block_\1/norm1/beta", None),
        (_B + r"/LayerNorm_1/scale", r"block_\1/norm2/gamma", None),
        (_B + r"/LayerNorm_1/bias", r"block_\1/norm2/beta", None),
        (_B + r"/token_mixing/Dense_0/(kernel|bias)", r"block_\1/token_mixing/fc1/\2", None),
        (_B + r"/token_mixing/Dense_1/(kernel|bias)", r"block_\1/token_mixing/fc2/\2", None),
        (_B + r"/channel_mixing/Dense_0/(kernel|bias)", r"block_\1/channel_mixing/fc1/\2", None),
        (_B + r"/channel_mixing/Dense_1/(kernel|bias)", r"block_\1/channel_mixing/fc2/\2", None),
        (r"pre_head_layer_norm/scale", r"pre_head_norm/gamma", None),
        (r"pre_head_layer_norm/bias", r"pre_head_norm/beta", None),
        (r"head/(kernel|bias)", r"predictions/\1", None),
    ),
)

_T = r"blocks\.(\d+)"
# timm `timm/models/mlp_mixer.py` (`MlpMixer` state_dict, .pth or .safetensors).
TIMM_MIXER = KeyMap(
    name="timm mlp_mixer (.pth/.safetensors)",
    rules=(
        (r"stem\.proj\.weight", r"stem/kernel", conv_to_hwio),
        (r"stem\.proj\.bias", r"stem/bias", None),
        (_T + r"\.norm([12])\.weight", r"block_\1/norm\2/gamma", None),
        (_T + r"\.norm([12])\.bias", r"block_\1/norm\2/beta", None),
        (_T + r"\.mlp_tokens\.(fc[12])\.weight", r"block_\1/token_mixing/\2/kernel", transpose),
        (_T + r"\.mlp_tokens\.(fc[12])\.bias", r"block_\1/token_mixing/\2/bias", None),
        (_T + r"\.mlp_channels\.(fc[12])\.weight", r"block_\1/channel_mixing/\2/kernel", transpose),
        (_T + r"\.mlp_channels\.(fc[12])\.bias", r"block_\1/channel_mixing/\2/bias", None),
        (r"norm\.weight", r"pre_head_norm/gamma", None),
        (r"norm\.bias", r"pre_head_norm/beta", None),
        (r"head\.weight", r"predictions/kernel", transpose),
        (r"head\.bias", r"predictions/bias", None),
    ),
)

SPEC = CheckpointSpec(key_maps=(FLAX_MIXER, TIMM_MIXER))
_TOKEN_MIXING = re.compile(r"block_\d+/token_mixing/(fc1|fc2)/(kernel|bias)")


def adapt_token_mixing(grid):
    """Adapter for `assign_weights`: the token-mixing MLP at a `K`-times finer
    grid, block-diagonal as in the paper's Appendix C (see `token_mixing_grid`)."""

    def adapt_array(path, array, target_shape):
        match = _TOKEN_MIXING.fullmatch(path)
        if match is None:
            return None
        layer, kind = match.groups()
        if (layer, kind) == ("fc1", "bias"):
            copies, rest = divmod(target_shape[0], array.shape[0])
            return np.tile(array, copies) if copies > 1 and not rest else None
        num_patches = array.shape[1] if (layer, kind) == ("fc2", "kernel") else array.shape[0]
        k = grid_factor(num_patches, grid)
        if k in (None, 1):
            return None
        if kind == "bias":
            out = patch_bias(array, grid, k)
        elif layer == "fc1":
            out = patches_to_units(array, grid, k)
        else:
            out = patches_to_units(array.T, grid, k).T
        return out if out.shape == tuple(target_shape) else None

    return adapt_array
