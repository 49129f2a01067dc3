import numpy as np

from keras_mlp.face import verification
from tests.testing import TestCase


class VerificationTest(TestCase):
    def test_separable_scores(self):
        issame = np.arange(100) % 2 == 0
        scores = np.where(issame, 0.8, 0.1) + np.random.RandomState(0).uniform(-0.05, 0.05, 100)
        accuracy, std, threshold = verification.kfold_accuracy(scores, issame)
        self.assertEqual((accuracy, std), (1.0, 0.0))
        self.assertBetween(threshold, 0.15, 0.75)
        self.assertEqual(verification.tar_at_far(scores, issame, 1e-3), (1.0, 0.0))

    def test_each_fold_uses_the_threshold_of_the_others(self):
        # Fold 0's pairs follow the opposite rule: its threshold, learned on the
        # other nine folds, gets all of them wrong.
        issame = np.arange(100) % 2 == 0
        scores = np.where(issame, 0.9, 0.1)
        scores[:10] = np.where(issame[:10], 0.1, 0.9)
        accuracy, std, _ = verification.kfold_accuracy(scores, issame)
        self.assertAllClose(accuracy, 0.9)
        self.assertAllClose(std, 0.3)

    def test_tar_at_far(self):
        issame = np.array([True] * 4 + [False] * 10)
        scores = np.array([0.9, 0.7, 0.5, 0.3] + [0.8] + [0.0] * 9)
        self.assertEqual(verification.tar_at_far(scores, issame, 0.1), (1.0, 0.1))
        self.assertEqual(verification.tar_at_far(scores, issame, 0.05), (0.25, 0.0))

    def test_pair_scores_are_cosines(self):
        embeddings = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [1.0, 0.0]])
        self.assertAllClose(verification.pair_scores(embeddings), [1.0, 0.0])

    def test_raw_pixel_scores_are_the_cosines_of_the_pixels_chunk_by_chunk(self):
        images = np.random.RandomState(0).randint(0, 256, (14, 4, 4, 3)).astype("uint8")
        expected = verification.pair_scores(images.reshape(14, -1))
        # 7 pairs in chunks of 2: the last chunk is a single pair.
        self.assertAllClose(verification.raw_pixel_scores(images, pairs_per_chunk=2), expected)

    def test_pairs_that_cannot_be_scored_are_refused(self):
        verification.check_pairs([True, False] * 5, "lfw.bin")
        with self.assertRaisesRegex(ValueError, "lfw.bin has 9 pairs: 10-fold verification needs at least 10"):
            verification.check_pairs([True, False] * 4 + [True], "lfw.bin")
        with self.assertRaisesRegex(ValueError, "lfw.bin has only same-person pairs"):
            verification.check_pairs([True] * 10, "lfw.bin")
        with self.assertRaisesRegex(ValueError, "pairs.txt has only different-person pairs"):
            verification.check_pairs([False] * 10, "pairs.txt")
