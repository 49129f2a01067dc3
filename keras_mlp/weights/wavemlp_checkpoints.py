"""Checkpoint layout of Wave-MLP: the official release (huawei-noah/CV-Backbones).

The `WaveMLP_*.pth.tar` files are saved by timm's `train.py`:
`{"state_dict": ..., "state_dict_ema": ...}` of `wavemlp.py`, channels
first. Norms are BatchNorms (T, T*) or one-group GroupNorms (S, M), both
`norm.weight` / `norm.bias`; only BatchNorms have running statistics.
"""

import numpy as np

from keras_mlp.weights.key_mapping import KeyMap, batch_norm, conv_to_hwio, transpose, weight_and_bias
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.pyramid_checkpoints import FAMILY_HINT, network_rules, pointwise


def depthwise(array):
    """A grouped `(groups, k, kh, kw)` kernel -> Keras `DepthwiseConv2D`'s
    `(kh, kw, groups * k, 1)`: input `k * g + j` keeps the taps of group `g`'s
    `j`-th input (`PATM`'s `tfc_*` have `k = 2`, the T* phase convs `k = 1`)."""
    groups, per_group, rows, cols = array.shape
    return np.transpose(np.reshape(array, (groups * per_group, 1, rows, cols)), (2, 3, 0, 1))


def phase_kernel(array):
    """`theta_*_conv.0.weight`: a 1 x 1 conv (`mode="fc"`) or a 3 x 3 depthwise one."""
    return pointwise(array) if array.shape[2:] == (1, 1) else depthwise(array)


# `batch_norm` rows serve the GroupNorms too: a GroupNorm has no running
# statistics, so those two rows match nothing.
OFFICIAL_WAVEMLP = KeyMap(
    name="official Wave-MLP (.pth.tar)",
    rules=(
        *weight_and_bias(r"patch_embed\.proj", "stem", conv_to_hwio),
        *batch_norm(r"patch_embed\.norm", "stem_norm"),
        *network_rules(
            block_rules=(
                *batch_norm(r"(norm[12])", r"\2"),
                (r"attn\.(fc_[hwc])\.weight", r"attn/\2/kernel", pointwise),
                (r"attn\.(tfc_[hw])\.weight", r"attn/\2/kernel", depthwise),
                *weight_and_bias(r"attn\.theta_([hw])_conv\.0", r"attn/theta_\2", phase_kernel),
                *batch_norm(r"attn\.theta_([hw])_conv\.1", r"attn/theta_\2_norm"),
                *weight_and_bias(r"attn\.reweight\.(fc[12])", r"attn/reweight/mlp/\2", pointwise),
                *weight_and_bias(r"attn\.proj", "attn/proj", pointwise),
                *weight_and_bias(r"mlp\.(fc[12])", r"mlp/\2", pointwise),
            ),
            downsample_rules=(
                *weight_and_bias(r"proj", "", conv_to_hwio),
                *batch_norm(r"norm", "_norm"),
            ),
        ),
        *batch_norm(r"norm", "head_norm"),
        *weight_and_bias(r"head", "predictions", transpose),
    ),
    ignore=(r".*num_batches_tracked",),
)

SPEC = CheckpointSpec(
    key_maps=(OFFICIAL_WAVEMLP,),
    # The final norm exists only with the classifier.
    head_prefixes=("predictions/", "head_norm/"),
    hint=FAMILY_HINT,
)
