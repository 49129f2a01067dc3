"""`keras_mlp.reparameterize` on a segmenter: the backbone is fused, the head
kept, the logits the same, on every backend."""

import json

import pytest
from absl.testing import parameterized

from tests.testing import TestCase, run_on_backend

# Prints the largest logit difference and what the deploy copy holds.
CHECK = """
import json
import keras
import numpy as np
import keras_mlp
from keras_mlp.layers import Reparameterizable
from keras_mlp.models.reparameterize import randomize_batch_norms
from tests.segmentation.tiny import tiny_backbone

keras.utils.set_random_seed(0)
model = keras_mlp.UPerNet(tiny_backbone("repmlpnet"), classes=3, channels=8)
randomize_batch_norms(model)
deploy = keras_mlp.reparameterize(model)
x = np.random.RandomState(0).uniform(-1, 1, size=(2, 32, 32, 3)).astype("float32")
trained = keras.ops.convert_to_numpy(model(x, training=False))
fused = keras.ops.convert_to_numpy(deploy(x, training=False))
backbone = deploy.get_layer("backbone")
head = [layer for layer in model.layers if layer.name != "backbone"]
print(json.dumps(dict(
    difference=float(np.abs(trained - fused).max()),
    spread=float(np.abs(trained).max()),
    unfused=[l.name for l in backbone.layers if isinstance(l, Reparameterizable) and not l.deploy],
    fused=sum(isinstance(l, Reparameterizable) and l.deploy for l in backbone.layers),
    head_equal=all(
        all(np.array_equal(a, b) for a, b in zip(l.get_weights(), deploy.get_layer(l.name).get_weights()))
        for l in head
    ),
)))
"""


class ReparameterizeSegmenterTest(TestCase, parameterized.TestCase):
    def test_fused_backbone_same_logits(self, backend="tensorflow"):
        result = json.loads(run_on_backend(backend, CHECK).strip().splitlines()[-1])
        self.assertLessEqual(result["difference"], 1e-5)
        self.assertGreater(result["spread"], 1e-2, "logits too small for the comparison to mean anything")
        self.assertEqual(result["unfused"], [])
        self.assertGreater(result["fused"], 0)
        self.assertTrue(result["head_equal"])

    # JAX compiles each op of a fresh process: minutes on 2 shared cores.
    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_other_backends(self, backend):
        self.test_fused_backbone_same_logits(backend)
