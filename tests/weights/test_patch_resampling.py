"""Per-patch weights resampled to a patch grid of any size."""

import numpy as np
from absl.testing import parameterized

from keras_mlp.weights import patch_resampling
from keras_mlp.weights.patch_resampling import PatchWeight, adapt_patch_weights
from tests.testing import TestCase


def ramp(grid, units):
    """Smooth maps on `grid`: unit `u` is `u + row + 2 * col` (row-major patches)."""
    r, c = np.meshgrid(np.arange(grid[0]), np.arange(grid[1]), indexing="ij")
    return (r + 2 * c).reshape(-1, 1).astype("float32") + np.arange(units, dtype="float32")


class PatchResamplingTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(((4, 4), (6, 6)), ((4, 4), (3, 5)), ((6, 6), (4, 4)), ((2, 4), (4, 2)))
    def test_a_token_mixing_sum_keeps_its_magnitude(self, old, new):
        # A constant input through a constant kernel: the sum over the input
        # patches is the same on every grid, finer or coarser.
        kernel = np.full((old[0] * old[1], 3), 0.5, "float32")
        out = patch_resampling.resample(kernel, "p.", old, new)
        self.assertEqual(out.shape, (new[0] * new[1], 3))
        self.assertAllClose(out.sum(axis=0), kernel.sum(axis=0), rtol=1e-5)

    def test_output_patches_and_biases_are_maps_without_scaling(self):
        old, new = (4, 4), (7, 5)
        bias = np.full((16,), 2.0, "float32")
        self.assertAllClose(patch_resampling.resample(bias, "q", old, new), np.full((35,), 2.0))
        # A smooth map is still that map, sampled on the new grid's centres.
        kernel = ramp(old, 2).T  # (units, patches): fc2 of a token MLP
        out = patch_resampling.resample(kernel, ".q", old, new, interpolation="bilinear")
        self.assertEqual(out.shape, (2, 35))
        self.assertAllClose(out[:, 0], kernel[:, 0], atol=0.5)  # top-left corner
        self.assertGreater(out[0, -1], out[0, 0])

    def test_patch_to_patch_kernel_resamples_both_axes(self):
        old, new = (3, 3), (5, 5)
        kernel = np.eye(9, dtype="float32")
        out = patch_resampling.resample(kernel, "pq", old, new)
        self.assertEqual(out.shape, (25, 25))
        # The identity mixing stays local: the output patches at the old
        # grid's centre and corners draw most from the input patch at their place.
        for patch in (0, 4, 12, 20, 24):
            self.assertEqual(np.argmax(out[:, patch]), patch)

    def test_the_class_token_is_kept_and_not_scaled(self):
        kernel = np.concatenate([np.full((1, 4), 7.0), np.ones((16, 4))]).astype("float32")
        out = patch_resampling.resample(kernel, "ph", (4, 4), (8, 8), prefix_tokens=1)
        self.assertAllClose(out[0], kernel[0])
        self.assertAllClose(out[1:].sum(axis=0), kernel[1:].sum(axis=0), rtol=1e-5)

    def test_new_hidden_units_start_silent_but_trainable(self):
        initial_in = np.full((1 + 36, 6), 0.3, "float32")
        initial_out = np.full((6, 1 + 36), 0.3, "float32")
        fc1 = np.ones((17, 4), "float32")
        fc2 = np.ones((4, 17), "float32")
        new_fc1 = patch_resampling.resample(fc1, "ph", (4, 4), (6, 6), 1, initial=initial_in)
        new_fc2 = patch_resampling.resample(fc2, "gq", (4, 4), (6, 6), 1, initial=initial_out)
        self.assertAllClose(new_fc1[:, 4:], initial_in[:, 4:])  # computed from the model's init
        self.assertAllClose(new_fc2[4:], np.zeros((2, 37)))  # read by nothing yet
        fewer = patch_resampling.resample(fc1, "ph", (4, 4), (2, 2), 1, initial=np.zeros((5, 2)))
        self.assertEqual(fewer.shape, (5, 2))

    def test_adapter_uses_appendix_c_on_a_k_times_finer_grid_only(self):
        adapt = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (6, 6))
        kernel = np.random.RandomState(0).normal(size=(9, 9)).astype("float32")
        finer = adapt("mix/kernel", kernel, (36, 36))
        # Block-diagonal: patches of different strided sub-grids never mix.
        self.assertEqual(finer[0, 1], 0.0)
        self.assertEqual(finer[0, 2], kernel[0, 1])
        other = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (5, 5))("mix/kernel", kernel, (25, 25))
        self.assertAllClose(other, patch_resampling.resample(kernel, "pq", (3, 3), (5, 5)))

    def test_adapter_declines_what_it_cannot_adapt(self):
        adapt = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (6, 6))
        kernel = np.ones((9, 9), "float32")
        self.assertIsNone(adapt("other/kernel", kernel, (36, 36)))
        self.assertIsNone(adapt("mix/kernel", np.ones((8, 8), "float32"), (36, 36)))  # not a square grid
        self.assertIsNone(adapt("mix/kernel", kernel, (35, 35)))
        # A non-square checkpoint grid is read from `source_grid`.
        adapt = adapt_patch_weights((PatchWeight(r"mix/kernel", "pq"),), (3, 3), source_grid=(2, 4))
        self.assertEqual(adapt("mix/kernel", np.ones((8, 8), "float32"), (9, 9)).shape, (9, 9))
