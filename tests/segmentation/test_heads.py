"""The three segmentation heads (PSPNet, UPerNet, Semantic FPN) over tiny backbones."""

import pytest
from absl.testing import parameterized

import keras_mlp
from tests.segmentation.tiny import KINDS, check_segmenter, tiny_backbone, tiny_segmenter
from tests.testing import TestCase

# `(head, its models' default name prefix)`.
HEADS = {
    "PSPNet": (keras_mlp.PSPNet, "pspnet"),
    "UPerNet": (keras_mlp.UPerNet, "upernet"),
    "SemanticFPN": (keras_mlp.SemanticFPN, "semantic_fpn"),
}
# UPerNet runs over every kind of backbone in the default suite; the other
# two over the staged one, the isotropic ones under -m slow.
DEFAULT_SUITE = [("UPerNet", kind) for kind in KINDS] + [("PSPNet", "repmlpnet"), ("SemanticFPN", "repmlpnet")]
SLOW = [(head, kind) for head in ("PSPNet", "SemanticFPN") for kind in KINDS[:2]]


class SegmentationHeadsTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*DEFAULT_SUITE)
    def test_logits_and_round_trip(self, head, kind):
        head, prefix = HEADS[head]
        model = tiny_segmenter(head, kind)
        self.assertEqual(model.name, f"{prefix}_{kind}")
        check_segmenter(self, model)

    @parameterized.parameters(*SLOW)
    @pytest.mark.slow
    def test_isotropic_backbones(self, head, kind):
        self.test_logits_and_round_trip(head, kind)

    @parameterized.product(head=tuple(HEADS), invalid=(dict(classes=0), dict(channels=-1), dict(dropout_rate=1.0)))
    def test_invalid_arguments(self, head, invalid):
        arguments = {"classes": 3, "channels": 8, **invalid}
        with self.assertRaisesRegex(ValueError, f"`{next(iter(invalid))}`.*Received"):
            HEADS[head][0](tiny_backbone("mlp_mixer"), **arguments)


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
