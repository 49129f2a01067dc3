"""Token-mixing plots: the PNG's size follows the layout, its pixels the weights."""

import os

import numpy as np
from PIL import Image

import keras_mlp
from keras_mlp.classification.visualize import model_to_plot, plot_token_mixing, token_mixing_units
from keras_mlp.model_io.metadata import save_model
from tests.registered_models import TINY_MODELS
from tests.saved_models import TINY_METADATA
from tests.testing import TestCase


class TokenMixingPlotTest(TestCase):
    def setUp(self):
        super().setUp()
        self.model = TINY_MODELS["mlp_mixer"](include_top=False)  # 4x4 patches, 8 units

    def plot(self, name, **kwargs):
        path = os.path.join(self.get_temp_dir(), name)
        self.assertEqual(plot_token_mixing(self.model, path, **kwargs), path)
        return np.asarray(Image.open(path))

    def test_units_on_the_patch_grid(self):
        units = token_mixing_units(self.model, 1)
        kernel = self.model.get_layer("block_1").token_mixing.fc1.kernel.numpy()
        self.assertEqual(units.shape, (8, 4, 4))
        self.assertAllEqual(units[3].reshape(-1), kernel[:, 3])
        self.assertAllEqual(token_mixing_units(self.model, "block_1"), units)

    def test_image_size_and_it_changes_with_the_weights(self):
        image = self.plot("a.png", blocks=(0, 1), columns=4, unit_inches=0.5, dpi=100)
        # 4 columns x 50 px; 2 panels of 2 unit rows plus a 0.6-row title each.
        self.assertEqual(image.shape[:2], (int(round((4 + 1.2) * 50)), 200))
        self.assertAllEqual(image, self.plot("b.png", blocks=(0, 1), columns=4))
        kernel = self.model.get_layer("block_0").token_mixing.fc1.kernel
        kernel.assign(-kernel.numpy())
        self.assertNotAllEqual(image, self.plot("c.png", blocks=(0, 1), columns=4))

    def test_resmlp_filters_are_the_output_patches_weights(self):
        # ResMLP's figure: unit j is output patch j's weights over the input patches.
        model = TINY_MODELS["resmlp"](include_top=False)  # 4x4 patches
        units = token_mixing_units(model, "block_1")
        kernel = model.get_layer("block_1").token_mixing.kernel.numpy()
        self.assertEqual(units.shape, (16, 4, 4))
        self.assertAllEqual(units[5].reshape(-1), kernel[:, 5])

    def test_models_without_token_mixing(self):
        model = TINY_MODELS["repmlpnet"]()
        with self.assertRaisesRegex(ValueError, "has none"):
            token_mixing_units(model, 0)
        with self.assertRaisesRegex(ValueError, r"has \['block_0', 'block_1'\]"):
            token_mixing_units(self.model, "block_5")

    def test_a_saved_model_brings_its_architecture(self):
        model = keras_mlp.create_model(TINY_METADATA.model, **TINY_METADATA.arguments)
        path = os.path.join(self.get_temp_dir(), "final.keras")
        save_model(model, path, TINY_METADATA)
        loaded = model_to_plot(None, path)
        self.assertEqual(loaded.count_params(), model.count_params())
        self.assertAllEqual(token_mixing_units(loaded, 0), token_mixing_units(model, 0))
        with self.assertRaisesRegex(ValueError, "holds a mixer_t4 model, not mixer_b16"):
            model_to_plot("mixer_b16", path)
