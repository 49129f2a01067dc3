"""Checkpoint layouts of MLP-Mixer and the paper's resolution adaptation."""

import math
import re

import numpy as np

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, transpose
from keras_mlp.weights.loading import CheckpointSpec

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


def grid_factor(num_patches, grid):
    """`K` such that `grid` is `K` times finer per side than a square grid of
    `num_patches`; 1 for the same grid; `None` when there is no such `K`."""
    rows, cols = grid
    if rows * cols == num_patches:
        return 1
    side = math.isqrt(num_patches)
    if side * side != num_patches or rows % side or rows != cols:
        return None
    return rows // side


def adapt_token_mixing(grid):
    """Adapter for `assign_weights`: token-mixing MLP at a `K`-times finer grid.

    MLP-Mixer, Appendix C: at `K^2` times more patches the token-mixing
    weights become block-diagonal with `K^2` copies of the pretrained ones,
    i.e. the pretrained MLP runs on `K^2` sub-sequences of the original
    length. Each sub-sequence here is one of the `K x K` strided sub-grids
    (rows `a::K`, columns `b::K`), so every copy sees the whole image on the
    original grid and the pretrained spatial patterns keep their meaning.
    """
    rows, cols = grid

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
        r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        subgrid = ((r % k) * k + (c % k)).reshape(-1)
        local = ((r // k) * (cols // k) + (c // k)).reshape(-1)
        if kind == "bias":
            return array[local]
        kernel = array if layer == "fc1" else array.T  # (patches, hidden)
        hidden = kernel.shape[1]
        out = np.zeros((rows * cols, k * k * hidden), kernel.dtype)
        out[np.arange(rows * cols)[:, None], subgrid[:, None] * hidden + np.arange(hidden)] = (
            kernel[local]
        )
        out = out if layer == "fc1" else out.T
        return out if out.shape == tuple(target_shape) else None

    return adapt_array
