"""`keras_mlp.inference_function`: the compiled forward pass inference runs."""

import contextlib
import io
import os

import numpy as np
from absl.testing import parameterized

import keras
import keras_mlp
from keras_mlp.models.inference import bfloat16_copy
from tests.registered_models import TINY_MODELS, images, logits_model
from tests.testing import REPO_ROOT, TestCase, run_on_backend


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

    def test_bad_dtype(self):
        with self.assertRaisesRegex(ValueError, "Received: dtype='float16'"):
            keras_mlp.inference_function(tiny_mixer(), dtype="float16")

    def test_usage_page_example(self):
        with open(os.path.join(REPO_ROOT, "docs", "usage.md"), encoding="utf-8") as f:
            section = f.read().split("## Inference from Python")[1]
        code = section.split("```python\n")[1].split("```")[0]
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(code, {})
        self.assertEqual(out.getvalue(), "(1, 10)\n")


# bfloat16 keeps 8 bits of mantissa: logits move by a fraction of a percent
# of their range (measured: 0.2-0.7% on the tiny models, the same top-1).
BFLOAT16_TOLERANCE = 0.02


class BFloat16InferenceTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*TINY_MODELS)
    def test_every_family_in_bfloat16(self, family):
        model = logits_model(family)
        x = images(model)
        before = [np.array(w) for w in model.get_weights()]
        expected = keras.ops.convert_to_numpy(keras_mlp.inference_function(model)(x))
        outputs = keras_mlp.inference_function(model, dtype="bfloat16")(x)
        self.assertEqual(keras.backend.standardize_dtype(outputs.dtype), "float32")
        outputs = keras.ops.convert_to_numpy(outputs)
        self.assertEqual(outputs.shape, expected.shape)
        error = np.abs(outputs - expected).max() / np.ptp(expected)
        self.assertLess(error, BFLOAT16_TOLERANCE)
        # Not float32 in disguise: bfloat16's rounding shows.
        self.assertGreater(error, 1e-5)
        for weight, value in zip(model.get_weights(), before):
            self.assertAllEqual(weight, value)
            self.assertEqual(weight.dtype, np.float32)

    def test_the_copy_holds_every_weight_in_bfloat16(self):
        model = logits_model("wavemlp")
        copy = bfloat16_copy(model)
        self.assertEqual([w.path for w in copy.weights], [w.path for w in model.weights])
        self.assertEqual({w.dtype for w in copy.weights}, {"bfloat16"})
        for layer in copy._flatten_layers(include_self=False):
            self.assertEqual(layer.dtype_policy.name, "bfloat16", layer.name)
        for copied, weight in zip(copy.weights, model.weights):
            values = keras.ops.convert_to_numpy(keras.ops.cast(copied, "float32"))
            self.assertAllClose(values, keras.ops.convert_to_numpy(weight), rtol=1e-2, atol=1e-6)

    def test_on_jax(self):
        error = run_on_backend("jax", """
            import numpy as np, keras, keras_mlp
            from tests.registered_models import images, logits_model
            model = logits_model("mlp_mixer")
            x = images(model)
            expected = np.asarray(keras_mlp.inference_function(model)(x))
            outputs = keras_mlp.inference_function(model, dtype="bfloat16")(x)
            assert outputs.dtype == "float32", outputs.dtype
            print(np.abs(np.asarray(outputs) - expected).max() / np.ptp(expected))
        """)
        self.assertBetween(float(error.strip().splitlines()[-1]), 1e-5, BFLOAT16_TOLERANCE)
