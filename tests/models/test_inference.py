"""`keras_mlp.inference_function`: the compiled forward pass inference runs."""

import contextlib
import io
import os

import numpy as np
from absl.testing import parameterized

import keras
import keras_mlp
from tests.testing import REPO_ROOT, TestCase


def tiny_mixer():
    return keras_mlp.MLPMixer(
        patch_size=8, hidden_dim=16, num_blocks=2, tokens_mlp_dim=8, channels_mlp_dim=32,
        input_shape=(32, 32, 3), classes=5, classifier_activation=None,
    )


class InferenceFunctionTest(TestCase, parameterized.TestCase):
    @parameterized.parameters("auto", True)
    def test_same_outputs_as_predict(self, jit_compile):
        model = tiny_mixer()
        images = np.random.default_rng(0).normal(size=(3, 32, 32, 3)).astype("float32")
        forward = keras_mlp.inference_function(model, jit_compile=jit_compile)
        self.assertAllClose(forward(images), model.predict(images, verbose=0), atol=1e-5)
        # A single image ("auto" on a TensorFlow CPU: XLA, the graph above).
        self.assertAllClose(forward(images[:1]), model.predict(images[:1], verbose=0), atol=1e-5)

    def test_uses_weights_set_after_it_was_made(self):
        model = tiny_mixer()
        forward = keras_mlp.inference_function(model)
        images = np.ones((1, 32, 32, 3), "float32")
        before = keras.ops.convert_to_numpy(forward(images))
        model.set_weights([w + 0.1 for w in model.get_weights()])
        after = keras.ops.convert_to_numpy(forward(images))
        self.assertNotAllClose(before, after)
        self.assertAllClose(after, model.predict(images, verbose=0), atol=1e-5)

    def test_images_of_another_size_are_refused_by_name(self):
        forward = keras_mlp.inference_function(tiny_mixer())
        with self.assertRaisesRegex(ValueError, r"\(None, 32, 32, 3\).*\(1, 64, 64, 3\).*input_shape"):
            forward(np.zeros((1, 64, 64, 3), "float32"))

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "Received: jit_compile='yes'"):
            keras_mlp.inference_function(None, jit_compile="yes")
        with self.assertRaisesRegex(TypeError, "keras.Model"):
            keras_mlp.inference_function(lambda x: x)

    def test_usage_page_example(self):
        with open(os.path.join(REPO_ROOT, "docs", "usage.md"), encoding="utf-8") as f:
            section = f.read().split("## Inference from Python")[1]
        code = section.split("```python\n")[1].split("```")[0]
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(code, {})
        self.assertEqual(out.getvalue(), "(1, 10)\n")
