import numpy as np
from absl.testing import parameterized
from scipy.special import erf, softmax

from keras_mlp.layers import BranchReweight
from tests.testing import TestCase, randomize_weights


def gelu(x):
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


class BranchReweightTest(TestCase, parameterized.TestCase):
    def test_matches_equations(self):
        layer = BranchReweight(reduction=2)
        rng = np.random.RandomState(0)
        maps = [rng.normal(size=(2, 3, 4, 6)).astype("float32") for _ in range(3)]
        layer(maps)
        w = randomize_weights(layer)
        s = sum(maps).mean(axis=(1, 2))
        logits = gelu(s @ w["mlp/fc1/kernel"] + w["mlp/fc1/bias"]) @ w["mlp/fc2/kernel"] + w["mlp/fc2/bias"]
        # Output unit c * 3 + k is branch k's logit for channel c.
        a = softmax(logits.reshape(2, 6, 3), axis=-1)
        expected = sum(x * a[:, None, None, :, k] for k, x in enumerate(maps))
        self.assertAllClose(layer(maps), expected, atol=1e-5)
        self.assertEqual(w["mlp/fc1/kernel"].shape, (6, 3))
        self.assertEqual(w["mlp/fc2/kernel"].shape, (3, 18))

    def test_serialization(self):
        layer = BranchReweight(reduction=2, name="reweight")
        clone = BranchReweight.from_config(layer.get_config())
        self.assertEqual(clone.get_config(), layer.get_config())

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(ValueError, "`reduction`.*Received"):
            BranchReweight(reduction=0)
        with self.assertRaisesRegex(ValueError, "`reduction`.*Received"):
            BranchReweight(reduction=8).build([(None, 2, 2, 4)] * 3)
        with self.assertRaisesRegex(ValueError, "list of at least two maps"):
            BranchReweight().build((None, 2, 2, 4))
