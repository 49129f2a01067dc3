from absl.testing import parameterized

import keras_mlp
from tests.segmentation.tiny import KINDS, check_segmenter, tiny_backbone, tiny_segmenter
from tests.testing import TestCase


class UPerNetTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*KINDS)
    def test_logits_and_round_trip(self, kind):
        model = tiny_segmenter(keras_mlp.UPerNet, kind)
        self.assertEqual(model.name, f"upernet_{kind}")
        check_segmenter(self, model)

    @parameterized.parameters(dict(classes=0), dict(channels=-1), dict(dropout_rate=1.0))
    def test_invalid_arguments(self, **kwargs):
        arguments = {"classes": 3, "channels": 8, **kwargs}
        with self.assertRaisesRegex(ValueError, f"`{next(iter(kwargs))}`.*Received"):
            keras_mlp.UPerNet(tiny_backbone("mlp_mixer"), **arguments)
