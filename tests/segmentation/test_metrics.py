import numpy as np

from keras_mlp.segmentation.metrics import SegmentationMetrics
from tests.testing import TestCase


def one_hot_logits(predicted, classes):
    return np.eye(classes, dtype="float32")[predicted]


class SegmentationMetricsTest(TestCase):
    def test_known_confusion(self):
        labels = np.array([[0, 0, 1, 1, 2, 255]])
        predicted = np.array([[0, 1, 1, 1, 0, 2]])
        metric = SegmentationMetrics(4)
        metric.update_state(labels, one_hot_logits(predicted, 4))
        scores = metric.scores()
        # class 0: tp 1, union 3; class 1: tp 2, union 3; class 2: tp 0, union 1;
        # class 3 absent everywhere; the ignored pixel's prediction counts nowhere.
        self.assertAllClose(scores["class_iou"][:3], [1 / 3, 2 / 3, 0.0])
        self.assertIsNone(scores["class_iou"][3])
        self.assertAllClose(scores["mean_iou"], 1 / 3)
        self.assertAllClose(scores["pixel_accuracy"], 3 / 5)
        self.assertAllClose(metric.result(), 1 / 3)
        metric.update_state(labels, one_hot_logits(labels.clip(0, 3), 4))
        self.assertAllClose(metric.scores()["pixel_accuracy"], 8 / 10)
        metric.reset_state()
        self.assertAllClose(metric.scores()["pixel_accuracy"], 0.0)

    def test_config_round_trip(self):
        metric = SegmentationMetrics(5, ignore_index=0, name="m")
        clone = SegmentationMetrics.from_config(metric.get_config())
        self.assertEqual((clone.num_classes, clone.ignore_index, clone.name), (5, 0, "m"))
