"""The one naming scheme of blocks, shared by every family.

An isotropic model (Mixer, feed-forward ViT, ...) is a sequence of blocks
`block_0, block_1, ...`; a staged model (RepMLPNet, RepMLP-ResNet, ...) has
stages counted from 0 and blocks counted from 0 within each stage:
`stage0_block_0, stage0_block_1, stage1_block_0, ...`. A block is one layer
of that name, or several layers named `<block>_<part>`; its output is the
output of its last layer. `feature_extractor`, `features_only` and
`visualize` find blocks through `block_of` only.
"""

import re

_BLOCK = re.compile(r"((?:stage\d+_)?block_\d+)(?:_.+)?")


def block_name(block, stage=None):
    """`block_<block>`, or `stage<stage>_block_<block>` in a staged model.

    Example:

    >>> block_name(3), block_name(0, stage=2)
    ('block_3', 'stage2_block_0')
    """
    return f"block_{block}" if stage is None else f"stage{stage}_block_{block}"


def block_of(layer_name):
    """The block a layer belongs to, or `None` for stems, heads, ...

    Example:

    >>> block_of("stage1_block_0_add2"), block_of("stem")
    ('stage1_block_0', None)
    """
    match = _BLOCK.fullmatch(layer_name)
    return match.group(1) if match else None
