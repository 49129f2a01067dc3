"""`keras_mlp.RetinaNet`: KerasHub's RetinaNet on keras_mlp backbones, its
arguments, and `reparameterize` of a RepMLP backbone under it."""

import keras
import keras_hub
import numpy as np
import pytest

import keras_mlp
from keras_mlp.layers import Reparameterizable
from keras_mlp.models.reparameterize import randomize_batch_norms
from tests.testing import TestCase


def anchors_per_image(side, max_level):
    return sum(9 * (side // 2**level) ** 2 for level in range(3, max_level + 1))


class RetinaNetTest(TestCase):
    def check_same_detections_after_reparameterize(self, name, side):
        detector = keras_mlp.RetinaNet(name, classes=3, anchor_size=2)
        # Fresh BatchNorms are the identity, which a wrong fusion would keep.
        randomize_batch_norms(detector)
        deploy = keras_mlp.reparameterize(detector)
        self.assertIsInstance(deploy, keras_hub.models.RetinaNetObjectDetector)
        layers = list(deploy._flatten_layers())
        self.assertGreater(sum(isinstance(layer, Reparameterizable) and layer.deploy for layer in layers), 0)
        self.assertEqual([layer.name for layer in layers if isinstance(layer, Reparameterizable) and not layer.deploy], [])
        x = np.random.RandomState(0).uniform(-1, 1, (2, side, side, 3)).astype("float32")
        trained, fused = detector(x, training=False), deploy(x, training=False)
        for output in ("bbox_regression", "cls_logits"):
            expected = keras.ops.convert_to_numpy(trained[output])
            got = keras.ops.convert_to_numpy(fused[output])
            self.assertGreater(np.abs(expected).max(), 1e-2, "outputs too small for the comparison to mean anything")
            self.assertLessEqual(np.abs(got - expected).max() / np.abs(expected).max(), 1e-5, output)

    def test_reparameterize_keeps_the_detections(self):
        self.check_same_detections_after_reparameterize("repmlp_cifar", 32)

    @pytest.mark.slow
    def test_reparameterize_keeps_the_detections_of_repmlpnet(self):
        self.check_same_detections_after_reparameterize("repmlpnet_t224", 224)

    def test_levels_follow_the_input_size(self):
        detector = keras_mlp.RetinaNet("mixer_t4", classes=2)
        self.assertEqual(detector.anchor_generator.max_level, 5)
        outputs = detector(np.zeros((1, 32, 32, 3), "float32"))
        self.assertEqual(tuple(outputs["cls_logits"].shape), (1, anchors_per_image(32, 5), 2))
        self.assertEqual(detector.bounding_box_format, "xyxy")
        self.assertEqual(detector.label_encoder.encoding_format, "center_xywh")

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "classes"):
            keras_mlp.RetinaNet("mixer_t4", classes=0)
        with self.assertRaisesRegex(ValueError, "backbone"):
            keras_mlp.RetinaNet(keras_mlp.create_model("mixer_t4"), classes=2)
        with self.assertRaisesRegex(ValueError, "max_level"):
            keras_mlp.RetinaNet("mixer_t4", classes=2, max_level=8)
        backbone = keras_mlp.KerasHubBackbone("mixer_t4")
        with self.assertRaisesRegex(ValueError, "weights"):
            keras_mlp.RetinaNet(backbone, classes=2, weights="imagenet1k")
