"""What the CycleMLP and Wave-MLP checkpoints share: their module tree.

Both official `CycleNet` and `WaveNet` keep stages and downsampling convs
in one `network` list: `network.0` is stage 0's blocks, `network.1` the
conv to stage 1, `network.2` stage 1, ... Their 1 x 1 convolutions and
`CycleFC` weights are `(out, in, 1, 1)` arrays that keras_mlp holds as
`(in, out)` dense kernels.
"""

import numpy as np

STAGES = 4


def pointwise(array):
    """A PyTorch `(out, in, 1, 1)` 1 x 1 conv kernel -> a Keras `(in, out)` `Dense` kernel.

    A `Linear`'s `(out, in)` weight is the same map and converts alike, so a
    checkpoint of the other family gets its mismatches listed, not a crash.
    """
    return np.transpose(np.reshape(array, array.shape[:2]))


def network_rules(block_rules, downsample_rules):
    """Key-table rows of the `network` list.

    Args:
        block_rules: `(pattern, template, transform)` of one block's keys,
            relative to `network.<2s>.<b>.`; the block index is group 1, so
            the pattern's own groups are `\\2`, `\\3`, ... in the template.
        downsample_rules: the same relative to `network.<2s + 1>.`, with
            the pattern's groups from `\\1`.
    """
    rules = []
    for stage in range(STAGES):
        rules += [
            (rf"network\.{2 * stage}\.(\d+)\.{pattern}", rf"stage{stage}_block_\1/{template}", fn)
            for pattern, template, fn in block_rules
        ]
        if stage < STAGES - 1:
            rules += [
                (rf"network\.{2 * stage + 1}\.{pattern}", rf"downsample{stage}{template}", fn)
                for pattern, template, fn in downsample_rules
            ]
    return tuple(rules)


FAMILY_HINT = (
    "CycleMLP and Wave-MLP checkpoints share their key names (`network.<i>.<j>."
    "norm1`, `mlp.fc1`, ...): keys of `attn.sfc_*` / `attn.mlp_c` belong to "
    "CycleMLP, keys of `attn.fc_*` / `attn.tfc_*` / `attn.theta_*` to Wave-MLP; "
    "load each into its own family and variant."
)
