"""Token-mixing weights at a patch grid `K` times finer than the checkpoint's.

MLP-Mixer, Appendix C: fine-tuned at `K^2` times more patches, the
token-mixing weights become block-diagonal with `K^2` copies of the
pretrained ones, i.e. the pretrained weights run on `K^2` sub-sequences of
the original length. Each sub-sequence here is one of the `K x K` strided
sub-grids (rows `a::K`, columns `b::K`), so every copy sees the whole image
on the original grid and the pretrained spatial patterns keep their meaning.
The same rule serves every layer with one weight per patch: Mixer's
token-mixing MLP, ResMLP's token-mixing linear layer and gMLP's spatial
gating projection.
"""

import math
import re

import numpy as np

TOKEN_GRID_HINT = (
    "Token-mixing weights have one value per patch, so a checkpoint loads only at "
    "its own patch grid or at one K times finer per side (K = 2, 3, ...): if "
    "their shapes differ, pick such an `input_shape`."
)


def grid_factor(num_patches, grid):
    """`K` such that `grid` is `K` times finer per side than a square grid of
    `num_patches`; 1 for the same grid; `None` when there is no such `K`."""
    rows, cols = grid
    if rows * cols == num_patches:
        return 1
    side = math.isqrt(num_patches)
    if side * side != num_patches or rows % side or rows != cols:
        return None
    return rows // side


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


def adapt_token_linear(pattern, grid):
    """Adapter for `assign_weights` of `TokenLinear` layers at a finer grid.

    Args:
        pattern: regex of the variable paths of the layers' `kernel` and
            `bias` (e.g. `r"block_\\d+/token_mixing/(kernel|bias)"`).
        grid: the model's `(rows, cols)` patch grid.
    """

    def adapt_array(path, array, target_shape):
        if not re.fullmatch(pattern, path):
            return None
        k = grid_factor(array.shape[0], grid)
        if k in (None, 1):
            return None
        out = patches_to_patches(array, grid, k) if array.ndim == 2 else patch_bias(array, grid, k)
        return out if out.shape == tuple(target_shape) else None

    return adapt_array
