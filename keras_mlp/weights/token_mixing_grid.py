"""Token-mixing weights at a patch grid `K` times finer than the checkpoint's.

MLP-Mixer, Appendix C: fine-tuned at `K^2` times more patches, the
token-mixing weights become block-diagonal with `K^2` copies of the
pretrained ones, i.e. the pretrained weights run on `K^2` sub-sequences of
the original length. Each sub-sequence here is one of the `K x K` strided
sub-grids (rows `a::K`, columns `b::K`), so every copy sees the whole image
on the original grid and the pretrained spatial patterns keep their meaning.
The same rule serves every layer with one weight per patch: Mixer's
token-mixing MLP, ResMLP's token-mixing linear layer and gMLP's spatial
gating projection; `patch_resampling` applies it, and resamples at every
other grid.
"""

import numpy as np


def finer_grid_factor(trained_grid, grid):
    """`K` when `grid` is `K > 1` times finer per side than `trained_grid`, else 1."""
    k = grid[0] // trained_grid[0]
    return k if k > 1 and tuple(grid) == (k * trained_grid[0], k * trained_grid[1]) else 1


def subgrids(grid, k):
    """For each patch of `grid` (row-major): `(sub-grid index, index in its sub-grid)`."""
    rows, cols = grid
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    subgrid = ((r % k) * k + (c % k)).reshape(-1)
    local = ((r // k) * (cols // k) + (c // k)).reshape(-1)
    return subgrid, local


def patches_to_units(kernel, grid, k):
    """`(patches, units)` -> `(K^2 patches, K^2 units)`: each patch feeds the
    copy of the units that belongs to its sub-grid."""
    subgrid, local = subgrids(grid, k)
    units = kernel.shape[1]
    out = np.zeros((len(local), k * k * units), kernel.dtype)
    out[np.arange(len(local))[:, None], subgrid[:, None] * units + np.arange(units)] = kernel[local]
    return out


def patches_to_patches(kernel, grid, k):
    """`(patches, patches)` -> `(K^2 patches, K^2 patches)`: patches mix
    only within their sub-grid, with the pretrained weights."""
    subgrid, local = subgrids(grid, k)
    same_subgrid = subgrid[:, None] == subgrid[None, :]
    return np.where(same_subgrid, kernel[local][:, local], 0).astype(kernel.dtype)


def patch_bias(bias, grid, k):
    """`(patches,)` -> `(K^2 patches,)`: each patch keeps its pretrained bias."""
    return bias[subgrids(grid, k)[1]]

