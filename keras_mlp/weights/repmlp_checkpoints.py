"""Checkpoint layout of the official RepMLPNet (github.com/DingXiaoH/RepMLP).

The official `.pth` files come in two forms. Training form: every
`conv_bn` is a `conv` + `bn` pair and each RepMLP block has `fc3_bn` and
`repconv{k}` branches. Deploy form (after `locality_injection()`): the
blocks' `fc3` has a bias and no branches, while the other `conv_bn` pairs
are still separate. keras_mlp's deploy form fuses those pairs too, so a
deploy checkpoint's pairs are folded before mapping.
"""

import re

import numpy as np

from keras_mlp.weights.key_mapping import KeyMap, batch_norm, conv_to_hwio, transpose, weight_and_bias
from keras_mlp.weights.loading import CheckpointSpec

_BN_NAMES = (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"), ("running_var", "moving_variance"))
_BN_EPSILON = 1e-5  # nn.BatchNorm2d default, used by every official BN


def pointwise_to_dense(array):
    """PyTorch 1x1 `Conv2d` (out, in, 1, 1) -> Keras `Dense` (in, out)."""
    return np.transpose(array[:, :, 0, 0])


def fc3_to_sharesets(array):
    """Grouped 1x1 conv `(S*hw, hw, 1, 1)` -> `(S, hw_in, hw_out)`."""
    pixels = array.shape[1]
    sets = array.shape[0] // pixels
    return np.transpose(array[:, :, 0, 0].reshape(sets, pixels, pixels), (0, 2, 1))


def depthwise_to_hwcm(array):
    """PyTorch depthwise `Conv2d` (C, 1, k, k) -> Keras `DepthwiseConv2D` (k, k, C, 1)."""
    return np.transpose(array, (2, 3, 0, 1))


def _conv_bn(source, target):
    return weight_and_bias(rf"{source}\.conv", rf"{target}/conv", conv_to_hwio) + batch_norm(
        rf"{source}\.bn", rf"{target}/bn"
    )


def fold_deploy_conv_bn(state):
    """Folds each `X.conv` + `X.bn` pair of a deploy-form state dict into `X.conv`.

    Training-form state dicts (with `fc3_bn`) are returned unchanged: the
    training-form model keeps its BatchNorms.
    """
    if not any(re.search(r"repmlp_block\.fc3\.bias$", key) for key in state):
        return state
    folded = dict(state)
    for key in state:
        match = re.fullmatch(r"(.*)\.conv\.weight", key)
        if match is None or f"{match[1]}.bn.running_var" not in state:
            continue
        prefix = match[1]
        bn = {name: folded.pop(f"{prefix}.bn.{name}") for name, _ in _BN_NAMES}
        folded.pop(f"{prefix}.bn.num_batches_tracked", None)
        scale = bn["weight"] / np.sqrt(bn["running_var"] + _BN_EPSILON)
        folded[key] = state[key] * scale[:, None, None, None]
        folded[f"{prefix}.conv.bias"] = bn["bias"] - bn["running_mean"] * scale
    return folded


_U = r"stages\.(\d+)\.(\d+)"
_B = r"stage\1_block_\2"
# `RepMLPNet.state_dict()` of the official repmlpnet.py, both forms.
OFFICIAL_REPMLPNET = KeyMap(
    name="official RepMLPNet (.pth, training or deploy form)",
    rules=(
        *_conv_bn(r"conv_embedding", "stem"),
        *_conv_bn(r"embeds\.(\d+)", r"embed\1"),
        *batch_norm(_U + r"\.prebn([12])", _B + r"_prebn\3"),
        *weight_and_bias(_U + r"\.repmlp_block\.gp\.(fc[12])", _B + r"_repmlp/gp_\3", pointwise_to_dense),
        (_U + r"\.repmlp_block\.fc3\.weight", _B + r"_repmlp/fc3_kernel", fc3_to_sharesets),
        (_U + r"\.repmlp_block\.fc3\.bias", _B + r"_repmlp/fc3_bias", None),
        *batch_norm(_U + r"\.repmlp_block\.fc3_bn", _B + r"_repmlp/fc3_bn"),
        (_U + r"\.repmlp_block\.repconv(\d+)\.conv\.weight", _B + r"_repmlp/repconv\3_conv/kernel", depthwise_to_hwcm),
        *batch_norm(_U + r"\.repmlp_block\.repconv(\d+)\.bn", _B + r"_repmlp/repconv\3_bn"),
        *_conv_bn(_U + r"\.ffn_block\.ffn_(fc[12])", _B + r"_ffn_\3"),
        *batch_norm(r"head_norm", "head_norm"),
        *weight_and_bias(r"head", "predictions", transpose),
    ),
    ignore=(r".*num_batches_tracked",),
    prepare=fold_deploy_conv_bn,
)


SPEC = CheckpointSpec(
    key_maps=(OFFICIAL_REPMLPNET,),
    head_prefixes=("predictions/", "head_norm/"),
    hint=(
        "A deploy-form checkpoint (fused: `fc3` with a bias, no Local "
        "Perceptron branches) loads only with deploy=True."
    ),
)
