"""ResMLP applications: sizes against the official code, the finer-grid rule,
backbones (`PerPatchChecks`)."""

import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models.resmlp import MODEL_CONFIGS
from tests.models.per_patch_checks import PerPatchChecks
from tests.reference import resmlp_official, torch_parity
from tests.testing import TestCase

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

# 1000-class heads at 224x224, measured on the official resmlp_models.py.
PARAM_COUNTS = {
    "resmlp_s12": 15_350_872,
    "resmlp_s24": 30_020_680,
    "resmlp_s36": 44_690_488,
    "resmlp_b24": 129_138_280,
}
OFFICIAL = {
    "resmlp_s12": resmlp_official.resmlp_12,
    "resmlp_s24": resmlp_official.resmlp_24,
    "resmlp_s36": resmlp_official.resmlp_36,
    "resmlp_b24": resmlp_official.resmlpB_24,
}


class ResMLPTest(PerPatchChecks, TestCase, parameterized.TestCase):
    builder = staticmethod(keras_mlp.ResMLP)
    mixing_kernel = "block_0/token_mixing/kernel"

    def write_reference(self):
        reference = torch_parity.randomized(
            resmlp_official.resmlp_models(img_size=32, patch_size=8, embed_dim=16, depth=2, num_classes=5)
        )
        return reference, torch_parity.save(reference, self.get_temp_dir(), "resmlp.pth")

    @parameterized.parameters("resmlp_s12", "resmlp_s24")
    def test_param_count(self, name):
        self.assertEqual(keras_mlp.create_model(name).count_params(), PARAM_COUNTS[name])

    @parameterized.parameters("resmlp_s36", "resmlp_b24")
    @pytest.mark.slow
    def test_param_count_large(self, name):
        self.assertEqual(keras_mlp.create_model(name).count_params(), PARAM_COUNTS[name])

    def test_every_registered_resmlp_is_in_the_tables(self):
        self.assertCountEqual(keras_mlp.list_models("resmlp_*"), PARAM_COUNTS)
        self.assertCountEqual(MODEL_CONFIGS, OFFICIAL)

    @parameterized.parameters(*sorted(OFFICIAL))
    def test_configuration_is_the_official_one(self, name):
        official = OFFICIAL[name](img_size=32)
        config = MODEL_CONFIGS[name]
        self.assertEqual(config["patch_size"], official.patch_embed.patch_size[0])
        self.assertEqual(config["hidden_dim"], official.embed_dim)
        self.assertEqual(config["num_blocks"], len(official.blocks))
        self.assertAllClose(config["layer_scale_init"], official.blocks[0].gamma_1[0].item())
        model = keras_mlp.ResMLP(**config, input_shape=(32, 32, 3))
        self.assertEqual(model.count_params(), sum(p.numel() for p in official.parameters()))

    def test_public_constructors(self):
        self.assertEqual(keras_mlp.ResMLPB24.__name__, "ResMLPB24")
        self.assertIn("ResMLP-B24", keras_mlp.ResMLPB24.__doc__)
        doc = " ".join(keras_mlp.ResMLPB24.__doc__.split())
        self.assertIn("multiples of the patch size (8)", doc)
        self.assertIn('"imagenet1k_from22k"', doc)
        self.assertNotIn('"imagenet1k_dino"', keras_mlp.ResMLPS36.__doc__)
