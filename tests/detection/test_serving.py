"""`keras_mlp.detection.serving_model`, what `examples/export.py` writes for a
detector: NMS over its output gives the detector's own detections, and it
exports and runs in the serving runtimes."""

import os

import numpy as np
import tensorflow as tf
from keras_hub.layers import NonMaxSuppression

import keras_mlp
from keras_mlp.detection.serving import serving_model
from keras_mlp.export import export_model, run_artifact
from tests.testing import TestCase

SIDE = 32


def tiny_detector(**kwargs):
    detector = keras_mlp.RetinaNet("mixer_t4", classes=3, image_shape=(SIDE, SIDE, 3), head_conv_layers=1, **kwargs)
    # Heads away from their initial constants, so that detections differ by
    # box and class from one image to the next.
    rng = np.random.RandomState(1)
    for head in (detector.classification_head.prediction_layer, detector.box_head.prediction_layer):
        head.set_weights([rng.normal(0, 2e-3, w.shape).astype("float32") for w in head.get_weights()])
    return detector


class ServingModelTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.detector = tiny_detector(score_threshold=0.6)
        cls.serving = serving_model(cls.detector)
        cls.images = np.random.RandomState(0).uniform(-1, 1, (4, SIDE, SIDE, 3)).astype("float32")

    def test_nms_over_its_output_gives_the_detectors_detections(self):
        expected = self.detector.predict(self.images, verbose=0)
        self.assertGreater(expected["num_detections"].min(), 5)
        decoder = self.detector.prediction_decoder
        nms = NonMaxSuppression(
            bounding_box_format="xyxy", from_logits=False, iou_threshold=decoder.iou_threshold,
            confidence_threshold=decoder.confidence_threshold, max_detections=decoder.max_detections,
        )
        output = self.serving.predict(self.images, verbose=0)
        self.assertEqual(output.shape[-1], 4 + 3)
        # In a graph, as `predict` runs it: KerasHub's NMS keeps other boxes eagerly.
        found = tf.function(lambda o, x: nms(o[..., :4], o[..., 4:], images=x))(output, self.images)
        for name, value in expected.items():
            self.assertAllClose(found[name], value, atol=1e-5, msg=name)

    def test_exports_and_runs(self):
        path = os.path.join(self.get_temp_dir(), "retinanet.onnx")
        export_model(self.serving, path, "onnx")
        expected = self.serving.predict(self.images, verbose=0)
        self.assertAllClose(run_artifact(path, "onnx", self.images), expected, atol=1e-3)

    def test_a_detector_of_any_size_is_refused(self):
        detector = keras_mlp.RetinaNet("cyclemlp_b1", classes=3, head_conv_layers=1)
        with self.assertRaisesRegex(ValueError, r"exported at one input size.*image_shape=\(height, width, 3\)"):
            serving_model(detector)


if __name__ == "__main__":
    tf.test.main()
