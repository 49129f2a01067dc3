"""COCO's box AP through pycocotools, at each image's original size."""

import numpy as np

from keras_mlp.detection import data
from keras_mlp.detection.metrics import coco_metrics
from tests.testing import TestCase


def split_of(boxes, labels, sizes, side=32):
    return data.DetectionSplit(
        np.zeros((len(boxes), side, side, 3), np.uint8), [np.array(b, "float32").reshape(-1, 4) for b in boxes],
        [np.array(l, "int32") for l in labels], sizes, ["a", "b"],
    )


def predictions_of(boxes, labels, scores, most=4):
    out = {"boxes": np.zeros((len(boxes), most, 4), "float32"), "labels": np.zeros((len(boxes), most), "int32"),
           "confidence": np.zeros((len(boxes), most), "float32"), "num_detections": np.array([len(b) for b in boxes])}
    for n, (b, l, s) in enumerate(zip(boxes, labels, scores)):
        out["boxes"][n, : len(b)] = np.reshape(b, (-1, 4))
        out["labels"][n, : len(l)], out["confidence"][n, : len(s)] = l, s
    return out


class CocoMetricsTest(TestCase):
    def test_perfect_wrong_class_and_shifted(self):
        boxes = [[[2, 2, 12, 12], [16, 16, 30, 30]], [[0, 0, 31, 20]]]
        split = split_of(boxes, [[0, 1], [1]], [(32, 32), (320, 320)])
        perfect = coco_metrics(predictions_of(boxes, [[0, 1], [1]], [[0.9, 0.8], [0.7]]), split)
        self.assertAlmostEqual(perfect["ap"], 1.0, places=6)
        # The second image is ten times larger: its box is COCO-large there.
        self.assertAlmostEqual(perfect["ap_large"], 1.0, places=6)
        self.assertAlmostEqual(perfect["ap_small"], 1.0, places=6)
        wrong_class = coco_metrics(predictions_of(boxes, [[1, 0], [0]], [[0.9, 0.8], [0.7]]), split)
        self.assertEqual(wrong_class["ap50"], 0.0)
        # Moved by 15% of their sides: IoU 0.57, a hit at 0.5 and a miss at 0.75.
        shifted = [[np.add(b, 0.15 * np.tile(np.subtract(b[2:], b[:2]), 2)) for b in image] for image in boxes]
        half = coco_metrics(predictions_of(shifted, [[0, 1], [1]], [[0.9, 0.8], [0.7]]), split)
        self.assertGreater(half["ap50"], 0.99)
        self.assertEqual(half["ap75"], 0.0)

    def test_no_detections(self):
        split = split_of([[[2, 2, 12, 12]]], [[0]], [(32, 32)])
        self.assertEqual(coco_metrics(predictions_of([[]], [[]], [[]]), split)["ap50"], 0.0)
