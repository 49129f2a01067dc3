"""Checkpoint layouts of the feed-forward-only ViT and its ViT/DeiT baseline."""

import numpy as np

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, norm, transpose, weight_and_bias
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.patch_resampling import PatchWeight

POSITION_EMBEDDING = "embedding/position_embedding"


def _merge_official_position_embedding(state):
    """Official `LearnedPositionalEncoding` keeps the class-token position
    `(1, 1, C)` apart from the patch grid `(1, C, H, W)`; the model keeps one
    `(1, 1 + H * W, C)` table, as timm's `pos_embed`."""
    cls_key, grid_key = "pos_encoding.cls_pos_embed", "pos_encoding.pos_embed"
    if cls_key not in state or grid_key not in state or state[grid_key].ndim != 4:
        return state
    state = dict(state)
    grid = state.pop(grid_key)
    patches = np.transpose(grid, (0, 2, 3, 1)).reshape(1, -1, grid.shape[1])
    state["pos_embed"] = np.concatenate([state.pop(cls_key), patches], axis=1)
    return state


_B = r"blocks\.(\d+)"
_EMBEDDING_AND_HEAD = (
    *weight_and_bias(r"patch_embed\.proj", r"stem", conv_to_hwio),
    (r"cls_token", r"embedding/class_token", None),
    (r"pos_embed", POSITION_EMBEDDING, None),
    *norm(_B + r"\.norm([12])", r"block_\1/norm\2"),
    *norm(r"norm", r"pre_head_norm"),
    *weight_and_bias(r"head", r"predictions", transpose),
)

# lukemelas/do-you-even-need-attention, `vision_transformer_linear.py`
# (`LinearVisionTransformer`), as saved by DeiT's `main.py` under "model".
OFFICIAL_FEEDFORWARD = KeyMap(
    name="official feed-forward-only ViT (.pth)",
    rules=_EMBEDDING_AND_HEAD
    + (
        *weight_and_bias(_B + r"\.(mlp[12])\.(fc[12])", r"block_\1/\2/\3", transpose),
    ),
    prepare=_merge_official_position_embedding,
)

# timm `VisionTransformer` (`deit_*`, `vit_*`), the layout of the DeiT releases.
TIMM_VIT = KeyMap(
    name="timm/DeiT VisionTransformer (.pth/.safetensors)",
    rules=_EMBEDDING_AND_HEAD
    + (
        *weight_and_bias(_B + r"\.attn\.(qkv|proj)", r"block_\1/attn/\2", transpose),
        *weight_and_bias(_B + r"\.mlp\.(fc[12])", r"block_\1/mlp/\2", transpose),
    ),
)

SPEC = CheckpointSpec(key_maps=(OFFICIAL_FEEDFORWARD, TIMM_VIT))

_TOKEN_MLP = r"block_\d+/mlp2"
# The token axis holds the class token, then the patches; the token MLP's
# hidden width is `tokens * mlp_ratio`, so it follows the grid too.
PATCH_WEIGHTS = (
    # The official code resizes its position table bilinearly at run time.
    PatchWeight(POSITION_EMBEDDING, ".q.", prefix_tokens=1, interpolation="bilinear"),
    PatchWeight(r"block_\d+/norm2/(gamma|beta)", "q", prefix_tokens=1),
    PatchWeight(_TOKEN_MLP + r"/fc1/kernel", "ph", prefix_tokens=1),
    PatchWeight(_TOKEN_MLP + r"/fc1/bias", "h"),
    PatchWeight(_TOKEN_MLP + r"/fc2/kernel", "gq", prefix_tokens=1),
    PatchWeight(_TOKEN_MLP + r"/fc2/bias", "q", prefix_tokens=1),
)
