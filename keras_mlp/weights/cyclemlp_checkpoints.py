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
from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, transpose
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
        (r"patch_embed\.proj\.weight", "stem/kernel", conv_to_hwio),
        (r"patch_embed\.proj\.bias", "stem/bias", None),
        *network_rules(
            block_rules=(
                (r"norm([12])\.weight", r"norm\2/gamma", None),
                (r"norm([12])\.bias", r"norm\2/beta", None),
                (r"attn\.mlp_c\.weight", "mlp_c/kernel", transpose),
                (r"attn\.(sfc_[hw])\.weight", r"\2/kernel", pointwise),
                (r"attn\.(sfc_[hw])\.bias", r"\2/bias", None),
                (r"attn\.reweight\.(fc[12])\.weight", r"reweight/mlp/\2/kernel", transpose),
                (r"attn\.reweight\.(fc[12])\.bias", r"reweight/mlp/\2/bias", None),
                (r"attn\.proj\.weight", "proj/kernel", transpose),
                (r"attn\.proj\.bias", "proj/bias", None),
                (r"mlp\.(fc[12])\.weight", r"mlp/\2/kernel", transpose),
                (r"mlp\.(fc[12])\.bias", r"mlp/\2/bias", None),
            ),
            downsample_rules=(
                (r"proj\.weight", "/kernel", conv_to_hwio),
                (r"proj\.bias", "/bias", None),
            ),
        ),
        (r"norm\.weight", "head_norm/gamma", None),
        (r"norm\.bias", "head_norm/beta", None),
        (r"head\.weight", "predictions/kernel", transpose),
        (r"head\.bias", "predictions/bias", None),
    ),
    prepare=check_offsets,
)

SPEC = CheckpointSpec(
    key_maps=(OFFICIAL_CYCLEMLP,),
    # The final LayerNorm exists only with the classifier.
    head_prefixes=("predictions/", "head_norm/"),
    hint=FAMILY_HINT,
)
