"""Wave-MLP applications: configurations and sizes against the official code."""

import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models.wavemlp import MODEL_CONFIGS
from tests.reference import wavemlp_official
from tests.testing import TestCase, trainable_params

# 1000-class heads, measured on the official wavemlp.py (FACTS.md).
PARAM_COUNTS = {
    "wavemlp_t_dw": 15_286_472,
    "wavemlp_t": 17_193_160,
    "wavemlp_s": 30_708_040,
    "wavemlp_m": 44_056_632,
}


class WaveMLPTest(TestCase, parameterized.TestCase):
    def test_every_registered_wavemlp_is_in_the_tables(self):
        self.assertCountEqual(keras_mlp.list_models("wavemlp_*"), PARAM_COUNTS)
        self.assertCountEqual(MODEL_CONFIGS, wavemlp_official.CONFIGS)

    @parameterized.parameters(*sorted(MODEL_CONFIGS))
    def test_configuration_is_the_official_one(self, name):
        official = wavemlp_official.CONFIGS[name]
        config = MODEL_CONFIGS[name]
        self.assertEqual(
            (config["embed_dims"], config["depths"], config["mlp_ratios"]),
            (official["embed_dims"], official["layers"], official["mlp_ratios"]),
        )
        self.assertEqual(config.get("mode", "fc"), official.get("mode", "fc"))
        self.assertEqual(config.get("norm", "batch") == "group", "norm_layer" in official)
        self.assertEqual(config.get("downsample_norm", True), official.get("ds_use_norm", True))

    def test_param_count(self):
        self.assertEqual(trainable_params(keras_mlp.WaveMLPTDW()), PARAM_COUNTS["wavemlp_t_dw"])

    @parameterized.parameters("wavemlp_t", "wavemlp_s", "wavemlp_m")
    @pytest.mark.slow
    def test_param_count_large(self, name):
        self.assertEqual(trainable_params(keras_mlp.create_model(name)), PARAM_COUNTS[name])

    def test_public_constructors(self):
        self.assertEqual(keras_mlp.WaveMLPTDW.__name__, "WaveMLPTDW")
        doc = " ".join(keras_mlp.WaveMLPTDW.__doc__.split())
        self.assertIn("Wave-MLP-T*", doc)
        self.assertIn('`"imagenet1k"`', doc)
