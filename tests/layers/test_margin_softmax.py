import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import ArcFace
from keras_mlp.layers import CosFace
from tests.layers import margin_reference
from tests.testing import TestCase


class MarginSoftmaxTest(TestCase, parameterized.TestCase):
    """What `ArcFace` and `CosFace` share through `MarginSoftmax`; each layer's
    own margin at the extremes is tested in its own file."""

    @parameterized.parameters(
        # ArcFace's acos/cos path carries twice CosFace's float32 error.
        (ArcFace, margin_reference.arcface, 64.0, 0.5, 2e-4),
        (ArcFace, margin_reference.arcface, 30.0, 0.3, 2e-4),
        (ArcFace, margin_reference.arcface, 64.0, 1.2, 2e-4),
        (CosFace, margin_reference.cosface, 64.0, 0.35, 1e-4),
        (CosFace, margin_reference.cosface, 30.0, 0.2, 1e-4),
    )
    def test_logits_match_the_paper_on_random_embeddings(self, layer_class, reference, scale, margin, tolerance):
        rng = np.random.RandomState(0)
        embeddings = rng.normal(size=(32, 16)).astype("float32")
        labels = rng.randint(0, 10, 32)
        layer = layer_class(10, scale=scale, margin=margin)
        layer.build([(None, 16), (None,)])
        kernel = rng.normal(size=(16, 10)).astype("float32")
        layer.kernel.assign(kernel)
        expected = reference(embeddings, kernel, labels, scale, margin)
        self.assertAllClose(layer([embeddings, labels]), expected, atol=tolerance * scale)
