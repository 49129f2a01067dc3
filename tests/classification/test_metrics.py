"""Top-k accuracy with tied scores counted against the model."""

import keras
import numpy as np
from absl.testing import parameterized

from keras_mlp.classification.metrics import TopKAccuracy, top_k_hits
from tests.testing import TestCase

ONE_HOT_3 = np.eye(10, dtype="float32")[[3]]


class TopKAccuracyTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(
        # Class 3 scores 0.7; two classes score higher: rank 3.
        ([0.9, 0.8, 0.1, 0.7, 0, 0, 0, 0, 0, 0], 2, 0.0),
        ([0.9, 0.8, 0.1, 0.7, 0, 0, 0, 0, 0, 0], 3, 1.0),
        # One class tied with it: it ranks 4th, not 3rd.
        ([0.9, 0.8, 0.7, 0.7, 0, 0, 0, 0, 0, 0], 3, 0.0),
        ([0.9, 0.8, 0.7, 0.7, 0, 0, 0, 0, 0, 0], 4, 1.0),
        # All ten alike: rank 10.
        ([0.0] * 10, 5, 0.0),
        ([0.0] * 10, 10, 1.0),
        ([np.nan] * 10, 5, 0.0),
    )
    def test_rank_counts_every_class_not_below_the_true_one(self, scores, k, expected):
        hits = top_k_hits(ONE_HOT_3, np.array([scores], "float32"), k=k)
        self.assertAllEqual(keras.ops.convert_to_numpy(hits), [expected])

    def test_a_constant_prediction_scores_nothing_unlike_keras_in_top_k(self):
        labels = np.eye(10, dtype="float32")[np.arange(20) % 10]
        constant = np.zeros((20, 10), "float32")
        keras_top5 = keras.metrics.TopKCategoricalAccuracy(5)
        keras_top5.update_state(labels, constant)
        self.assertEqual(float(keras_top5.result()), 1.0)
        for k in (1, 5):
            metric = TopKAccuracy(k)
            metric.update_state(labels, constant)
            self.assertEqual(float(metric.result()), 0.0)

    def test_agrees_with_keras_without_ties_and_round_trips(self):
        rng = np.random.RandomState(0)
        labels = np.eye(10, dtype="float32")[rng.randint(0, 10, 64)]
        scores = rng.normal(size=(64, 10)).astype("float32")
        ours = TopKAccuracy(5)
        theirs = keras.metrics.TopKCategoricalAccuracy(5)
        ours.update_state(labels, scores)
        theirs.update_state(labels, scores)
        self.assertBetween(float(ours.result()), 0.3, 0.7)
        self.assertEqual(float(ours.result()), float(theirs.result()))

        restored = keras.metrics.deserialize(keras.metrics.serialize(TopKAccuracy(3, name="t")))
        self.assertEqual((type(restored), restored.k, restored.name), (TopKAccuracy, 3, "t"))
        with self.assertRaisesRegex(ValueError, "Received: k=0"):
            TopKAccuracy(0)
