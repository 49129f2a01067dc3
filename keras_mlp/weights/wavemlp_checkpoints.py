"""Checkpoint layout of Wave-MLP: the official release (huawei-noah/CV-Backbones).

The `WaveMLP_*.pth.tar` files are saved by timm's `train.py`:
`{"state_dict": ..., "state_dict_ema": ...}` of `wavemlp.py`, channels
first. Norms are BatchNorms (T, T*) or one-group GroupNorms (S, M), both
`norm.weight` / `norm.bias`; only BatchNorms have running statistics.
"""

import numpy as np

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, transpose
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


def _norm(prefix, target):
    """A BatchNorm's or GroupNorm's keys under `prefix`, onto Keras' names."""
    return (
        (rf"{prefix}\.weight", f"{target}/gamma", None),
        (rf"{prefix}\.bias", f"{target}/beta", None),
        (rf"{prefix}\.running_mean", f"{target}/moving_mean", None),
        (rf"{prefix}\.running_var", f"{target}/moving_variance", None),
    )


OFFICIAL_WAVEMLP = KeyMap(
    name="official Wave-MLP (.pth.tar)",
    rules=(
        (r"patch_embed\.proj\.weight", "stem/kernel", conv_to_hwio),
        (r"patch_embed\.proj\.bias", "stem/bias", None),
        *_norm(r"patch_embed\.norm", "stem_norm"),
        *network_rules(
            block_rules=(
                *_norm(r"(norm[12])", r"\2"),
                (r"attn\.(fc_[hwc])\.weight", r"attn/\2/kernel", pointwise),
                (r"attn\.(tfc_[hw])\.weight", r"attn/\2/kernel", depthwise),
                (r"attn\.theta_([hw])_conv\.0\.weight", r"attn/theta_\2/kernel", phase_kernel),
                (r"attn\.theta_([hw])_conv\.0\.bias", r"attn/theta_\2/bias", None),
                *_norm(r"attn\.theta_([hw])_conv\.1", r"attn/theta_\2_norm"),
                (r"attn\.reweight\.(fc[12])\.weight", r"attn/reweight/mlp/\2/kernel", pointwise),
                (r"attn\.reweight\.(fc[12])\.bias", r"attn/reweight/mlp/\2/bias", None),
                (r"attn\.proj\.weight", "attn/proj/kernel", pointwise),
                (r"attn\.proj\.bias", "attn/proj/bias", None),
                (r"mlp\.(fc[12])\.weight", r"mlp/\2/kernel", pointwise),
                (r"mlp\.(fc[12])\.bias", r"mlp/\2/bias", None),
            ),
            downsample_rules=(
                (r"proj\.weight", "/kernel", conv_to_hwio),
                (r"proj\.bias", "/bias", None),
                *_norm(r"norm", "_norm"),
            ),
        ),
        *_norm(r"norm", "head_norm"),
        (r"head\.weight", "predictions/kernel", transpose),
        (r"head\.bias", "predictions/bias", None),
    ),
    ignore=(r".*num_batches_tracked",),
)

SPEC = CheckpointSpec(
    key_maps=(OFFICIAL_WAVEMLP,),
    # The final norm exists only with the classifier.
    head_prefixes=("predictions/", "head_norm/"),
    hint=FAMILY_HINT,
)
