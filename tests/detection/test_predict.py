"""Detections of images of any size: the model's input as in training, boxes
scaled back to the image and kept on it, the score filter, the drawing."""

import numpy as np

from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.detection.predict import Detector, draw
from keras_mlp.model_io.metadata import ModelMetadata
from tests.testing import TestCase

SIDE = 64


class FixedDetections:
    """A detector of `SIDE x SIDE` inputs that finds the same three boxes
    (two counted) in every image, and keeps what it was given."""

    input_shape = (None, SIDE, SIDE, 3)

    def predict(self, dataset, verbose):
        (self.seen,) = [x.numpy() for x in dataset]
        return {
            "boxes": np.array([[[8, 16, 32, 48], [60, 0, 70, 10], [0, 0, 1, 1]]], "float32"),
            "labels": np.array([[3, 1, 2]], "int32"),
            "confidence": np.array([[0.9, 0.6, 0.8]], "float32"),
            "num_detections": np.array([2]),
        }


def metadata():
    return ModelMetadata("cyclemlp_b1", {"input_shape": (SIDE, SIDE, 3)}, INCEPTION.replace(input_size=SIDE),
                         [str(n) for n in range(10)], extra={"task": "detection"})


class DetectorTest(TestCase):
    def test_boxes_at_the_images_own_size(self):
        model = FixedDetections()
        # 96 rows, 128 columns: x scales by 2, y by 1.5.
        found = Detector(model, metadata()).detect(np.full((96, 128, 3), 255, np.uint8))
        self.assertEqual(model.seen.shape, (1, SIDE, SIDE, 3))
        # White is (1 - 0.5) / 0.5 after INCEPTION's normalisation, as in training.
        self.assertAllClose(model.seen, np.ones_like(model.seen))
        # The second box runs past the image's right side (140 > 128): clipped.
        self.assertAllClose(found.boxes, [[16, 24, 64, 72], [120, 0, 128, 15]])
        self.assertAllEqual(found.classes, [3, 1])
        self.assertAllClose(found.scores, [0.9, 0.6])

    def test_min_score(self):
        found = Detector(FixedDetections(), metadata()).detect(np.zeros((64, 64, 3), np.uint8), min_score=0.7)
        self.assertAllEqual(found.classes, [3])

    def test_drawn_boxes(self):
        image = np.zeros((96, 128, 3), np.uint8)
        found = Detector(FixedDetections(), metadata()).detect(image)
        picture = np.asarray(draw(image, found, metadata().class_names))
        self.assertEqual(picture.shape, image.shape)
        # The first box's outline: its left side is drawn below its label.
        self.assertGreater(picture[60, 16].max(), 0)
        self.assertEqual(picture[60, 40].max(), 0)
