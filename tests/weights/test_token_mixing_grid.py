"""The finer-grid rule (MLP-Mixer, Appendix C) for layers with one weight per patch."""

import numpy as np
from absl.testing import parameterized

from keras_mlp.weights import token_mixing_grid
from keras_mlp.weights.patch_resampling import PatchWeight, adapt_patch_weights
from tests.testing import TestCase


def strided_subgrids(x, k):
    """`(batch, rows*cols, c)` on a square grid -> the `k*k` strided sub-grids,
    each `(batch, (rows/k)*(cols/k), c)` in row-major order."""
    batch, patches, channels = x.shape
    side = int(np.sqrt(patches))
    grid = x.reshape(batch, side, side, channels)
    return [grid[:, a::k, b::k].reshape(batch, -1, channels) for a in range(k) for b in range(k)]


class TokenMixingGridTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(2, 3)
    def test_token_linear_runs_the_trained_weights_on_each_strided_subgrid(self, k):
        rng = np.random.RandomState(0)
        trained = 3  # a 3x3 grid at training time
        kernel = rng.normal(size=(trained**2, trained**2)).astype("float32")
        bias = rng.normal(size=(trained**2,)).astype("float32")
        grid = (trained * k, trained * k)
        specs = (PatchWeight(r"block_\d+/mix/kernel", "pq"), PatchWeight(r"block_\d+/mix/bias", "q"))
        adapt = adapt_patch_weights(specs, grid)
        fine = grid[0] * grid[1]
        big_kernel = adapt("block_0/mix/kernel", kernel, (fine, fine))
        big_bias = adapt("block_0/mix/bias", bias, (fine,))

        x = rng.normal(size=(2, fine, 4)).astype("float32")
        mixed = np.einsum("bic,ij->bjc", x, big_kernel) + big_bias[:, None]
        for sub_in, sub_out in zip(strided_subgrids(x, k), strided_subgrids(mixed, k)):
            expected = np.einsum("bic,ij->bjc", sub_in, kernel) + bias[:, None]
            self.assertAllClose(sub_out, expected, atol=1e-5)

    def test_units_copies_per_subgrid(self):
        # Mixer's fc1: (patches, hidden) -> one copy of the hidden units per sub-grid.
        kernel = np.arange(8, dtype="float32").reshape(4, 2)
        out = token_mixing_grid.patches_to_units(kernel, (4, 4), 2)
        self.assertEqual(out.shape, (16, 8))
        subgrid, local = token_mixing_grid.subgrids((4, 4), 2)
        for patch in range(16):
            row = np.zeros(8, "float32")
            row[2 * subgrid[patch] : 2 * subgrid[patch] + 2] = kernel[local[patch]]
            self.assertAllEqual(out[patch], row)

    @parameterized.parameters(
        ((14, 14), (14, 14), 1), ((14, 14), (28, 28), 2), ((14, 14), (42, 42), 3),
        ((14, 14), (21, 21), 1), ((14, 14), (28, 14), 1), ((2, 4), (4, 8), 2), ((14, 14), (7, 7), 1),
    )
    def test_finer_grid_factor(self, trained, grid, expected):
        self.assertEqual(token_mixing_grid.finer_grid_factor(trained, grid), expected)
