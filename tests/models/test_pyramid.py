"""The pyramid shared by CycleMLP and Wave-MLP: any input size, square or
not, fixed or left `None`; four stage features at strides 4, 8, 16, 32; a clear minimum size."""

import keras
import numpy as np
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models import factory
from tests.testing import TestCase

TINY = dict(embed_dims=(8, 16, 24, 32), depths=(1, 2, 1, 1), mlp_ratios=(2, 2, 2, 2))
BUILDERS = {
    "cyclemlp": lambda **kw: keras_mlp.CycleMLP(**TINY, **kw),
    "wavemlp": lambda **kw: keras_mlp.WaveMLP(**TINY, norm="group", **kw),
}


class PyramidTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*BUILDERS)
    def test_features_at_four_strides_on_a_non_square_input(self, family):
        # 100 x 72: the stem's 7/4/2 conv and the 3/2/1 convs round up as PyTorch does.
        model = BUILDERS[family](include_top=False, features_only=True, input_shape=(100, 72, 3))
        shapes = {name: tuple(t.shape[1:]) for name, t in model.output.items()}
        self.assertEqual(
            shapes,
            {
                "stage0_block_0": (25, 18, 8),
                "stage1_block_1": (13, 9, 16),
                "stage2_block_0": (7, 5, 24),
                "stage3_block_0": (4, 3, 32),
            },
        )

    def test_weights_do_not_depend_on_the_input_size(self):
        family = "wavemlp"  # its GroupNorms and BatchNorms are per channel too
        small = BUILDERS[family](input_shape=(32, 32, 3), classes=5, classifier_activation=None)
        large = BUILDERS[family](input_shape=(48, 40, 3), classes=5, classifier_activation=None)
        self.assertEqual([w.shape for w in small.weights], [w.shape for w in large.weights])
        path = f"{self.get_temp_dir()}/{family}.weights.h5"
        small.save_weights(path)
        loaded = BUILDERS[family](input_shape=(48, 40, 3), classes=5, classifier_activation=None, weights=path)
        x = np.random.RandomState(0).uniform(-1, 1, (2, 48, 40, 3)).astype("float32")
        large.set_weights(small.get_weights())
        self.assertAllClose(loaded(x), large(x), atol=1e-6)

    @parameterized.parameters(*BUILDERS)
    def test_one_model_for_every_size(self, family):
        # input_shape=(None, None, 3): the same weights as a model built for
        # each size, so the same logits at every size it is fed.
        any_size = BUILDERS[family](input_shape=(None, None, 3), classes=5, classifier_activation=None)
        rng = np.random.RandomState(0)
        for shape in ((32, 32, 3), (48, 40, 3)):
            fixed = BUILDERS[family](input_shape=shape, classes=5, classifier_activation=None)
            fixed.set_weights(any_size.get_weights())
            x = rng.uniform(-1, 1, (2, *shape)).astype("float32")
            self.assertAllClose(any_size(x), fixed(x), atol=1e-5)

    def test_a_grid_bound_model_names_the_families_declared_for_any_size(self):
        declared = [family.name for family in factory.families() if family.any_input_size]
        self.assertEqual(declared, ["CycleMLP", "Wave-MLP"])
        with self.assertRaisesRegex(keras_mlp.InputSizeError, r"takes any size \(CycleMLP, Wave-MLP\)"):
            keras_mlp.MixerT4(input_shape=(None, None, 3))

    @parameterized.parameters(*BUILDERS)
    def test_an_input_too_small_names_the_minimum(self, family):
        with self.assertRaisesRegex(ValueError, r"at least 32.*strides 4, 8, 16 and 32.*\(28, 64, 3\)"):
            BUILDERS[family](input_shape=(28, 64, 3))

    def test_drop_path_rises_linearly_over_the_blocks(self):
        model = keras_mlp.CycleMLP(**TINY, drop_path_rate=0.2, input_shape=(32, 32, 3))
        rates = [model.get_layer(n).drop_path_rate for n in keras_mlp.block_names(model)]
        self.assertAllClose(rates, [0.0, 0.05, 0.1, 0.15, 0.2])

    def test_head_norm_only_with_the_classifier(self):
        backbone = keras_mlp.WaveMLP(**TINY, include_top=False, input_shape=(32, 32, 3))
        self.assertNotIn("head_norm", [layer.name for layer in backbone.layers])
        self.assertIsInstance(
            keras_mlp.WaveMLP(**TINY, input_shape=(32, 32, 3)).get_layer("head_norm"),
            keras.layers.BatchNormalization,
        )
