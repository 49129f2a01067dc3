import pytest
from absl.testing import parameterized

import keras_mlp
from tests.segmentation.tiny import KINDS, check_segmenter, tiny_backbone, tiny_segmenter
from tests.testing import TestCase


class SemanticFPNTest(TestCase, parameterized.TestCase):
    def test_logits_and_round_trip(self, kind="repmlpnet"):
        model = tiny_segmenter(keras_mlp.SemanticFPN, kind)
        self.assertEqual(model.name, f"semantic_fpn_{kind}")
        check_segmenter(self, model)

    @parameterized.parameters(*KINDS[:2])
    @pytest.mark.slow
    def test_isotropic_backbones(self, kind):
        self.test_logits_and_round_trip(kind)

    @parameterized.parameters(dict(classes=0), dict(channels=-1), dict(dropout_rate=1.0))
    def test_invalid_arguments(self, **kwargs):
        arguments = {"classes": 3, "channels": 8, **kwargs}
        with self.assertRaisesRegex(ValueError, f"`{next(iter(kwargs))}`.*Received"):
            keras_mlp.SemanticFPN(tiny_backbone("mlp_mixer"), **arguments)
