"""Checkpoint layouts of the feed-forward-only ViT and its ViT/DeiT baseline."""

import math

import numpy as np
from keras import ops

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, transpose
from keras_mlp.weights.loading import CheckpointSpec

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
    (r"patch_embed\.proj\.weight", r"stem/kernel", conv_to_hwio),
    (r"patch_embed\.proj\.bias", r"stem/bias", None),
    (r"cls_token", r"embedding/class_token", None),
    (r"pos_embed", POSITION_EMBEDDING, None),
    (_B + r"\.norm([12])\.weight", r"block_\1/norm\2/gamma", None),
    (_B + r"\.norm([12])\.bias", r"block_\1/norm\2/beta", None),
    (r"norm\.weight", r"pre_head_norm/gamma", None),
    (r"norm\.bias", r"pre_head_norm/beta", None),
    (r"head\.weight", r"predictions/kernel", transpose),
    (r"head\.bias", r"predictions/bias", None),
)

# lukemelas/do-you-even-need-attention, `vision_transformer_linear.py`
# (`LinearVisionTransformer`), as saved by DeiT's `main.py` under "model".
OFFICIAL_FEEDFORWARD = KeyMap(
    name="official feed-forward-only ViT (.pth)",
    rules=_EMBEDDING_AND_HEAD
    + (
        (_B + r"\.(mlp[12])\.(fc[12])\.weight", r"block_\1/\2/\3/kernel", transpose),
        (_B + r"\.(mlp[12])\.(fc[12])\.bias", r"block_\1/\2/\3/bias", None),
    ),
    prepare=_merge_official_position_embedding,
)

# timm `VisionTransformer` (`deit_*`, `vit_*`), the layout of the DeiT releases.
TIMM_VIT = KeyMap(
    name="timm/DeiT VisionTransformer (.pth/.safetensors)",
    rules=_EMBEDDING_AND_HEAD
    + (
        (_B + r"\.attn\.(qkv|proj)\.weight", r"block_\1/attn/\2/kernel", transpose),
        (_B + r"\.attn\.(qkv|proj)\.bias", r"block_\1/attn/\2/bias", None),
        (_B + r"\.mlp\.(fc[12])\.weight", r"block_\1/mlp/\2/kernel", transpose),
        (_B + r"\.mlp\.(fc[12])\.bias", r"block_\1/mlp/\2/bias", None),
    ),
)

SPEC = CheckpointSpec(key_maps=(OFFICIAL_FEEDFORWARD, TIMM_VIT))


def resize_position_embedding(array, grid):
    """`(1, 1 + s * s, C)` position table -> `(1, 1 + rows * cols, C)`.

    The patch part is resized bilinearly on its square grid (what the
    official code does at run time, `F.interpolate(..., "bilinear",
    align_corners=False)`); the class-token position is kept.
    """
    side = math.isqrt(array.shape[1] - 1)
    if side * side != array.shape[1] - 1:
        return None
    patches = array[:, 1:].reshape(1, side, side, array.shape[-1])
    resized = ops.image.resize(
        patches, grid, interpolation="bilinear", antialias=False,
        data_format="channels_last",
    )
    resized = np.asarray(ops.convert_to_numpy(resized), array.dtype)
    return np.concatenate([array[:, :1], resized.reshape(1, -1, array.shape[-1])], axis=1)


def adapt_position_embedding(grid):
    """Adapter for `assign_weights`: position embeddings of another grid."""

    def adapt_array(path, array, target_shape):
        if path != POSITION_EMBEDDING:
            return None
        resized = resize_position_embedding(array, grid)
        return resized if resized is not None and resized.shape == tuple(target_shape) else None

    return adapt_array


def num_tokens_of_token_mlp(converted):
    """Tokens the feed-forward token MLP of a converted checkpoint expects,
    or `None` when the checkpoint has no such MLP."""
    kernel = converted.get("block_0/mlp2/fc1/kernel")
    return None if kernel is None else kernel.shape[0]
