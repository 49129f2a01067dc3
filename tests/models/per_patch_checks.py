"""Checks shared by the families whose blocks have one weight per pair of
patches (ResMLP's token mixing, gMLP's spatial gating): a checkpoint at a
finer grid (MLP-Mixer, Appendix C), other grids resampled, backbones."""

import keras
import numpy as np

import keras_mlp
from keras_mlp.weights import patch_resampling
from tests.reference import torch_parity

TINY = dict(patch_size=8, hidden_dim=16, num_blocks=2, classes=5, classifier_activation=None)


class PerPatchChecks:
    """Mixin of a `TestCase`. The test class sets `builder` (the family's
    generic builder, as a `staticmethod`), `mixing_kernel` (the path of
    block_0's per-patch kernel) and `write_reference()`: `(reference module,
    checkpoint path)` of `TINY` at 32x32 (a 4x4 patch grid)."""

    builder = None
    mixing_kernel = None

    def write_reference(self):
        raise NotImplementedError

    def test_finer_grid_runs_the_trained_model_on_each_strided_subgrid(self):
        reference, path = self.write_reference()
        for k in (2, 3):
            with self.subTest(k=k):
                model = self.builder(**TINY, weights=path, input_shape=(32 * k, 32 * k, 3))
                images = torch_parity.images(2, 32 * k)
                expected = torch_parity.subgrid_logits(reference, images, 8, k)
                torch_parity.assert_logits_match(self, model, images, expected)

    def test_other_grids_load_the_resampled_kernels(self):
        _, path = self.write_reference()
        trained = self.builder(**TINY, weights=path, input_shape=(32, 32, 3))
        kernel = _variable(trained, self.mixing_kernel)
        for shape, grid in (((48, 48, 3), (6, 6)), ((32, 64, 3), (4, 8)), ((24, 24, 3), (3, 3))):
            with self.subTest(shape=shape):
                model = self.builder(**TINY, weights=path, input_shape=shape)
                expected = patch_resampling.resample(kernel, "pq", (4, 4), grid)
                self.assertAllClose(_variable(model, self.mixing_kernel), expected)
                x = torch_parity.images(1, max(shape[:2]))[:, : shape[0], : shape[1]]
                self.assertTrue(np.all(np.isfinite(keras.ops.convert_to_numpy(model(x)))))

    def test_backbones_load_the_full_checkpoint(self):
        _, path = self.write_reference()
        images = torch_parity.images(2, 32)
        full = self.builder(**TINY, weights=path, input_shape=(32, 32, 3))
        layers = [full.get_layer(name).output for name in ("block_1", "avg_pool")]
        block_1, pooled = keras.Model(full.inputs, layers)(images)
        backbone = dict(TINY, weights=path, input_shape=(32, 32, 3), include_top=False)
        features = self.builder(**backbone, features_only=True)
        self.assertAllClose(features(images)["block_1"], block_1, atol=1e-5)
        self.assertAllClose(self.builder(**backbone, pooling="avg")(images), pooled, atol=1e-5)


def _variable(model, path):
    (variable,) = [v for v in model.weights if v.path == path]
    return keras.ops.convert_to_numpy(variable)
