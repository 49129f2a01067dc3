"""Per-patch weights at a patch grid of any size: the one adapter of grid-bound models.

Token-mixing weights (Mixer's token MLP, ResMLP's cross-patch linear layer,
gMLP's spatial gating projection, the feed-forward ViT's token MLP) and
position embeddings have one entry per patch along some axes: along each
such axis they are maps on the patch grid, as a ViT's position embedding is.
At another grid they are resampled as images, every other axis being a
channel. A kernel whose *input* axis runs over patches feeds a sum over
them, `out_j = sum_i W_ij x_i`; with `n_new` patches instead of `n_old` the
sum would grow by `n_new / n_old`, so such kernels are scaled by
`n_old / n_new`. Output patch axes and biases are maps and keep their values.

A grid `K` times finer per side keeps the exact rule of the MLP-Mixer
paper's Appendix C (`token_mixing_grid`): resampling measured no better
there (docs/resolution.md). Every other grid, finer or coarser, square or
not, is resampled.
"""

import dataclasses
import math
import re

import numpy as np
from keras import ops

from keras_mlp.weights import token_mixing_grid

# Measured zero-shot on the digits (docs/resolution.md): bicubic was first
# or tied at every grid that is not K times finer, for Mixer and ResMLP.
INTERPOLATION = "bicubic"

# What each letter of a `PatchWeight.axes` signature means.
INPUT_PATCHES = "p"  # summed over by the layer: resampled and rescaled
OUTPUT_PATCHES = "q"  # a map over patches (outputs, biases, embeddings): resampled
# Hidden units whose count follows the number of tokens (the feed-forward
# ViT's token MLP): new units keep the model's fresh initialisation where
# they are computed ("h") and get zero weights where they are read ("g"),
# so they start silent but trainable; units beyond a smaller count are dropped.
HIDDEN_OUT = "h"
HIDDEN_IN = "g"


@dataclasses.dataclass(frozen=True)
class PatchWeight:
    """Which variables are tied to the patch grid, and along which axes.

    Attributes:
        pattern: regex matching the whole `Variable.path`.
        axes: one letter per array axis: `"p"` input patches, `"q"` output
            patches, `"h"`/`"g"` hidden units that follow the token count
            (computed / read), `"."` anything else; e.g. `"pq"` for a
            `(patches, patches)` Dense kernel, `"q"` for its bias.
        prefix_tokens: tokens before the patches on the patch axes (the
            class token), kept as they are.
        interpolation: `None` for the measured default (`INTERPOLATION`,
            antialiased when shrinking), else the one the reference code
            uses for this weight, exactly as it does (no antialiasing).
    """

    pattern: str
    axes: str
    prefix_tokens: int = 0
    interpolation: str | None = None

    @property
    def has_patches(self):
        return INPUT_PATCHES in self.axes or OUTPUT_PATCHES in self.axes


def square_grid(num_patches):
    """The square `(side, side)` grid of `num_patches`, or `None`."""
    side = math.isqrt(num_patches)
    return (side, side) if side * side == num_patches else None


def resample_axis(
    array, axis, old_grid, new_grid, prefix_tokens=0, interpolation=INTERPOLATION, scale=1.0, antialias=True
):
    """Resamples one patch axis of `array` from `old_grid` to `new_grid`.

    The first `prefix_tokens` entries along `axis` are not patches and are
    kept; the resampled patches are multiplied by `scale`. With `antialias`,
    shrinking filters first, so every old patch counts.
    """
    moved = np.moveaxis(np.asarray(array), axis, 0)
    prefix, patches = moved[:prefix_tokens], moved[prefix_tokens:]
    rest = patches.shape[1:]
    maps = patches.reshape(*old_grid, -1).astype("float32")
    shrinking = new_grid[0] * new_grid[1] < old_grid[0] * old_grid[1]
    resized = ops.image.resize(
        maps[None], new_grid, interpolation=interpolation,
        antialias=antialias and shrinking and interpolation != "nearest", data_format="channels_last",
    )
    resized = np.asarray(ops.convert_to_numpy(resized)[0] * scale, array.dtype)
    out = np.concatenate([prefix, resized.reshape(-1, *rest)], axis=0)
    return np.moveaxis(out, 0, axis)


def resize_hidden(array, axis, size, fill):
    """Keeps the first `size` units along `axis`, filling new ones from `fill`."""
    have = array.shape[axis]
    if size <= have:
        return np.take(array, np.arange(size), axis=axis)
    extra = np.take(fill, np.arange(have, size), axis=axis)
    return np.concatenate([array, extra.astype(array.dtype)], axis=axis)


def resample(
    array, axes, old_grid, new_grid, prefix_tokens=0, initial=None, interpolation=INTERPOLATION, antialias=True
):
    """`array` with every patch axis resampled to `new_grid` (see the module doc).

    Args:
        axes: the `PatchWeight.axes` signature of `array`.
        initial: the model's fresh value of the variable, which new hidden
            units (`"h"`) keep; needed only when their count grows.
        interpolation, antialias: as for `resample_axis`.
    """
    out = np.asarray(array)
    for axis, kind in enumerate(axes):
        if kind in (INPUT_PATCHES, OUTPUT_PATCHES):
            # Only patches feed the sum more often; a class token still once.
            scale = (old_grid[0] * old_grid[1]) / (new_grid[0] * new_grid[1]) if kind == INPUT_PATCHES else 1.0
            out = resample_axis(out, axis, old_grid, new_grid, prefix_tokens, interpolation, scale, antialias)
    for axis, kind in enumerate(axes):
        if kind in (HIDDEN_OUT, HIDDEN_IN) and initial is not None:
            fill = initial if kind == HIDDEN_OUT else np.zeros_like(initial)
            out = resize_hidden(out, axis, initial.shape[axis], fill)
    return out.astype(np.asarray(array).dtype)


def finer_grid(array, axes, grid, k):
    """Appendix C's block-diagonal weights for a grid `k` times finer, or `None`."""
    if axes == "pq":
        return token_mixing_grid.patches_to_patches(array, grid, k)
    if axes == "p.":
        return token_mixing_grid.patches_to_units(array, grid, k)
    if axes == ".q":
        return token_mixing_grid.patches_to_units(array.T, grid, k).T
    if axes == "q":
        return token_mixing_grid.patch_bias(array, grid, k)
    if axes == ".":
        return np.tile(array, k * k)
    return None


def source_grid_of(array, spec, source_grid):
    """The grid `array` was trained on: `source_grid`, else its square patch count."""
    for axis, kind in enumerate(spec.axes):
        if kind in (INPUT_PATCHES, OUTPUT_PATCHES):
            num_patches = array.shape[axis] - spec.prefix_tokens
            if source_grid is not None:
                return tuple(source_grid) if source_grid[0] * source_grid[1] == num_patches else None
            return square_grid(num_patches)
    return tuple(source_grid) if source_grid is not None else None


def adapt_patch_weights(specs, grid, model=None, source_grid=None):
    """Adapter for `assign_weights`: every `PatchWeight` at the model's `grid`.

    Args:
        specs: the family's `PatchWeight`s.
        grid: the model's `(rows, cols)` patch grid.
        model: the model being loaded; its fresh values fill new hidden
            units (`"h"` axes).
        source_grid: the checkpoint's `(rows, cols)`; `None` when it is
            square (every published checkpoint), read off the patch count.
    """
    grid = tuple(grid)
    compiled = [(re.compile(spec.pattern), spec) for spec in specs]
    variables = {v.path: v for v in model.weights} if model is not None else {}

    def adapt_array(path, array, target_shape):
        spec = next((s for pattern, s in compiled if pattern.fullmatch(path)), None)
        if spec is None:
            return None
        old_grid = source_grid_of(array, spec, source_grid)
        if old_grid is None and spec.has_patches:
            return None
        if old_grid is not None and not spec.prefix_tokens:
            k = token_mixing_grid.finer_grid_factor(old_grid, grid)
            if k > 1:
                out = finer_grid(array, spec.axes, grid, k)
                if out is not None and out.shape == tuple(target_shape):
                    return out
        variable = variables.get(path)
        initial = None if variable is None else np.asarray(ops.convert_to_numpy(variable))
        out = resample(
            array, spec.axes, old_grid, grid, spec.prefix_tokens, initial,
            spec.interpolation or INTERPOLATION, antialias=spec.interpolation is None,
        )
        return out if out.shape == tuple(target_shape) else None

    return adapt_array
