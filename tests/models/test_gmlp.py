"""gMLP applications: sizes against timm, the finer-grid rule, backbones
(`PerPatchChecks`)."""

import timm
import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models.gmlp import MODEL_CONFIGS
from tests.models.per_patch_checks import PerPatchChecks
from tests.reference import timm_mlp_mixer, torch_parity
from tests.testing import TestCase

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

# 1000-class heads at 224x224, measured on timm's gmlp_*_224.
PARAM_COUNTS = {"gmlp_ti16": 5_867_328, "gmlp_s16": 19_422_656, "gmlp_b16": 73_075_392}


class GMLPTest(PerPatchChecks, TestCase, parameterized.TestCase):
    builder = staticmethod(keras_mlp.GMLP)
    mixing_kernel = "block_0/spatial_gating/proj/kernel"

    def write_reference(self):
        reference = torch_parity.randomized(
            timm_mlp_mixer.gmlp(img_size=32, patch_size=8, embed_dim=16, num_blocks=2, num_classes=5)
        )
        return reference, torch_parity.save(reference, self.get_temp_dir(), "gmlp.safetensors")

    @parameterized.parameters("gmlp_ti16", "gmlp_s16")
    def test_param_count(self, name):
        self.assertEqual(keras_mlp.create_model(name).count_params(), PARAM_COUNTS[name])

    @pytest.mark.slow
    def test_param_count_large(self):
        self.assertEqual(keras_mlp.GMLPB16().count_params(), PARAM_COUNTS["gmlp_b16"])

    def test_every_registered_gmlp_is_in_the_tables(self):
        self.assertCountEqual(keras_mlp.list_models("gmlp_*"), PARAM_COUNTS)
        self.assertCountEqual(MODEL_CONFIGS, PARAM_COUNTS)

    @parameterized.parameters(*sorted(MODEL_CONFIGS))
    def test_configuration_is_timms(self, name):
        reference = timm.create_model(f"{name}_224", img_size=32)
        config = MODEL_CONFIGS[name]
        self.assertEqual(config["patch_size"], reference.stem.patch_size[0])
        self.assertEqual(config["hidden_dim"], reference.embed_dim)
        self.assertEqual(config["num_blocks"], len(reference.blocks))
        model = keras_mlp.GMLP(**config, input_shape=(32, 32, 3))
        self.assertEqual(model.count_params(), sum(p.numel() for p in reference.parameters()))

    def test_public_constructors(self):
        self.assertEqual(keras_mlp.GMLPS16.__name__, "GMLPS16")
        self.assertIn("gMLP-S/16", keras_mlp.GMLPS16.__doc__)
        self.assertIn('"ra3_in1k"', keras_mlp.GMLPS16.__doc__)
        self.assertIn("a pretrained tag (none published)", " ".join(keras_mlp.GMLPB16.__doc__.split()))
