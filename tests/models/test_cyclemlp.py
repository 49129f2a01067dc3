"""CycleMLP applications: configurations and sizes against the official code."""

import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models.cyclemlp import MODEL_CONFIGS
from tests.reference import cyclemlp_official
from tests.testing import TestCase, trainable_params

# 1000-class heads, measured on the official cycle_mlp.py (FACTS.md).
PARAM_COUNTS = {
    "cyclemlp_b1": 15_155_400,
    "cyclemlp_b2": 26_802_504,
    "cyclemlp_b3": 38_385_720,
    "cyclemlp_b4": 51_796_552,
    "cyclemlp_b5": 75_747_280,
}


class CycleMLPTest(TestCase, parameterized.TestCase):
    def test_every_registered_cyclemlp_is_in_the_tables(self):
        self.assertCountEqual(keras_mlp.list_models("cyclemlp_*"), PARAM_COUNTS)
        self.assertCountEqual(MODEL_CONFIGS, cyclemlp_official.CONFIGS)

    @parameterized.parameters(*sorted(MODEL_CONFIGS))
    def test_configuration_is_the_official_one(self, name):
        official = cyclemlp_official.CONFIGS[name]
        config = MODEL_CONFIGS[name]
        self.assertEqual(
            (config["embed_dims"], config["depths"], config["mlp_ratios"]),
            (official["embed_dims"], official["layers"], official["mlp_ratios"]),
        )

    def test_param_count(self):
        self.assertEqual(trainable_params(keras_mlp.CycleMLPB1()), PARAM_COUNTS["cyclemlp_b1"])

    @parameterized.parameters("cyclemlp_b2", "cyclemlp_b3", "cyclemlp_b4", "cyclemlp_b5")
    @pytest.mark.slow
    def test_param_count_large(self, name):
        self.assertEqual(trainable_params(keras_mlp.create_model(name)), PARAM_COUNTS[name])

    def test_public_constructors(self):
        self.assertEqual(keras_mlp.CycleMLPB5.__name__, "CycleMLPB5")
        doc = " ".join(keras_mlp.CycleMLPB5.__doc__.split())
        self.assertIn("CycleMLP-B5", doc)
        self.assertIn('`"imagenet1k"`', doc)
        self.assertIn("at least 32", doc)
