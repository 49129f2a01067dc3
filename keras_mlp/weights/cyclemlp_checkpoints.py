"""Checkpoint layout of CycleMLP: the official release (ShoufaChen/CycleMLP).

The `CycleMLP_B*.pth` files hold `{"model": state_dict}` of `cycle_mlp.py`.
Each `CycleFC` stores its sampling offsets as a buffer `offset`; they are
fixed by the layer's channels and window, so they are checked against
`cycle_offsets`, never loaded.
"""

import re

import numpy as np

from keras_mlp.layers.cycle_fc import cycle_offsets
from keras_mlp.weights.checkpoint_io import CheckpointError
from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, norm, transpose, weight_and_bias
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.pyramid_checkpoints import FAMILY_HINT, network_rules, pointwise

_WINDOWS = {"h": (1, 3), "w": (3, 1)}
_OFFSET = re.compile(r".*\.attn\.sfc_([hw])\.offset")


def check_offsets(state):
    """Drops the `offset` buffers after checking each against `cycle_offsets`."""
    state = dict(state)
    for key in [k for k in state if _OFFSET.fullmatch(k)]:
        offset = np.asarray(state.pop(key))
        window = _WINDOWS[_OFFSET.fullmatch(key).group(1)]
        expected = cycle_offsets(offset.size // 2, window).reshape(offset.shape)
        if not np.array_equal(offset, expected):
            raise CheckpointError(
                f"{key} holds sampling offsets other than the official CycleFC's "
                f"for a {window[0]}x{window[1]} window; keras_mlp's CycleFC computes "
                "its own, so this checkpoint comes from modified code and cannot be loaded."
            )
    return state


OFFICIAL_CYCLEMLP = KeyMap(
    name="official CycleMLP (.pth)",
    rules=(
        *weight_and_bias(r"patch_embed\.proj", "stem", conv_to_hwio),
        *network_rules(
            block_rules=(
                *norm(r"norm([12])", r"norm\2"),
                (r"attn\.mlp_c\.weight", "mlp_c/kernel", transpose),
                *weight_and_bias(r"attn\.(sfc_[hw])", r"\2", pointwise),
                *weight_and_bias(r"attn\.reweight\.(fc[12])", r"reweight/mlp/\2", transpose),
                *weight_and_bias(r"attn\.proj", "proj", transpose),
                *weight_and_bias(r"mlp\.(fc[12])", r"mlp/\2", transpose),
            ),
            downsample_rules=(
                *weight_and_bias(r"proj", "", conv_to_hwio),
            ),
        ),
        *norm(r"norm", "head_norm"),
        *weight_and_bias(r"head", "predictions", transpose),
    ),
    prepare=check_offsets,
)

SPEC = CheckpointSpec(
    key_maps=(OFFICIAL_CYCLEMLP,),
    # The final LayerNorm exists only with the classifier.
    head_prefixes=("predictions/", "head_norm/"),
    hint=FAMILY_HINT,
)
