"""MLP-Mixer applications: sizes, shapes, errors, serialization, backends."""

import os

import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from tests.testing import TestCase, run_on_backend

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

# 1000-class heads at the default size (224x224; T/4: 32x32). S/B/L: timm
# `mixer_*_224`; H/14: the official Flax module (the paper's Table 1), which
# timm does not define; T/4 is keras_mlp's own small-image size.
PARAM_COUNTS = {
    "mixer_t4": 434_536,
    "mixer_s32": 19_104_624,
    "mixer_s16": 18_528_264,
    "mixer_b32": 60_293_428,
    "mixer_b16": 59_880_472,
    "mixer_l32": 206_939_264,
    "mixer_l16": 208_196_168,
    "mixer_h14": 432_350_952,
}
FAST = ("mixer_t4", "mixer_s32", "mixer_s16", "mixer_b32", "mixer_b16")


class MLPMixerTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(*FAST)
    def test_param_count(self, name):
        self.assertEqual(keras_mlp.create_model(name).count_params(), PARAM_COUNTS[name])

    # The mark goes under the parameterization so the generated tests inherit it.
    @parameterized.parameters("mixer_l32", "mixer_l16", "mixer_h14")
    @pytest.mark.slow
    def test_param_count_large(self, name):
        self.assertEqual(keras_mlp.create_model(name).count_params(), PARAM_COUNTS[name])

    def test_every_registered_mixer_is_in_the_table(self):
        self.assertCountEqual(keras_mlp.list_models("mixer_*"), PARAM_COUNTS)

    def test_public_constructors(self):
        self.assertEqual(keras_mlp.MixerB16.__name__, "MixerB16")
        self.assertIn("Mixer-B/16", keras_mlp.MixerB16.__doc__)
        self.assertIn('"imagenet1k"', keras_mlp.MixerB16.__doc__)
        # Docstrings are wrapped: compare with white space folded.
        self.assertIn("a pretrained tag (none published)", " ".join(keras_mlp.MixerH14.__doc__.split()))

    @parameterized.parameters(
        dict(kwargs={}, shape=(None, 10)),
        dict(kwargs={"include_top": False}, shape=(None, 3, 2, 512)),
        dict(kwargs={"include_top": False, "pooling": "avg"}, shape=(None, 512)),
        dict(kwargs={"include_top": False, "pooling": "max"}, shape=(None, 512)),
    )
    def test_output_shapes_at_any_multiple_of_the_patch(self, kwargs, shape):
        model = keras_mlp.MixerS32(input_shape=(96, 64, 3), classes=10, **kwargs)
        self.assertEqual(model.output_shape, shape)
        x = np.zeros((2, 96, 64, 3), "float32")
        self.assertEqual(model.predict(x, verbose=0).shape, (2,) + shape[1:])

    def test_softmax_head_sums_to_one(self):
        model = keras_mlp.MixerS32(input_shape=(64, 64, 3), classes=4)
        model.get_layer("predictions").kernel.assign(np.random.RandomState(0).normal(size=(512, 4)))
        probs = model.predict(np.random.RandomState(1).uniform(size=(3, 64, 64, 3)), verbose=0)
        self.assertAllClose(probs.sum(-1), np.ones(3), atol=1e-5)

    def test_input_tensor(self):
        images = keras.Input((64, 64, 3))
        model = keras_mlp.MixerS32(input_tensor=images, include_top=False, pooling="avg")
        self.assertIs(model.inputs[0], images)

    def test_deterministic_layer_names(self):
        names = [layer.name for layer in keras_mlp.MixerS32(input_shape=(64, 64, 3)).layers]
        self.assertEqual(names[1:3], ["stem", "stem_tokens"])
        self.assertEqual(names[3:11], [f"block_{i}" for i in range(8)])
        self.assertEqual(names[-4:], ["pre_head_norm", "patch_grid", "avg_pool", "predictions"])

    @parameterized.parameters(
        ({"input_shape": (100, 100, 3)}, "multiples of the patch size 32 pixels. Nearest valid sizes: height 100: 96 or 128; width 100: 96 or 128"),
        ({"input_shape": (64, 20, 3)}, r"sizes: width 20: 32\. Received"),
        ({"input_shape": (64, 64)}, "input_shape"),
        ({"input_shape": (None, 64, 3)}, r"must be known for this model.*\(CycleMLP, Wave-MLP\)"),
        ({"pooling": "mean"}, "`pooling` must be one of"),
        ({"classes": 0}, "`classes` must be a positive int"),
        ({"weights": "imagenet21k"}, "No pretrained weights 'imagenet21k' for model 'mixer_s32'"),
        ({"weights": 3}, "`weights` must be None"),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            keras_mlp.MixerS32(**kwargs)

    def test_unknown_model_name(self):
        with self.assertRaisesRegex(ValueError, "Available models: .*mixer_b16"):
            keras_mlp.create_model("mixer_x99")

    def test_keras_file_round_trip(self):
        model = keras_mlp.MixerS32(input_shape=(64, 64, 3), classes=3, drop_path_rate=0.1)
        path = os.path.join(self.get_temp_dir(), "mixer.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        x = np.random.RandomState(0).uniform(size=(2, 64, 64, 3)).astype("float32")
        self.assertAllClose(model(x), restored(x), atol=1e-6)
        self.assertEqual(restored.get_layer("block_0").drop_path_rate, 0.1)

    def test_fit_one_step(self):
        # Two narrow blocks: the step's code is Mixer-S/32's (every family's
        # registered sizes train under -m slow, in the conformance checks).
        model = keras_mlp.MLPMixer(
            patch_size=8, hidden_dim=16, num_blocks=2, tokens_mlp_dim=8, channels_mlp_dim=32,
            input_shape=(32, 32, 3), classes=3, drop_path_rate=0.1,
        )
        model.compile("adam", "sparse_categorical_crossentropy")
        before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
        history = model.fit(
            np.random.uniform(size=(4, 32, 32, 3)), np.array([0, 1, 2, 0]), epochs=1, verbose=0
        )
        self.assertTrue(np.isfinite(history.history["loss"][0]))
        after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
        # The zero-initialised head passes no gradient back on the first
        # step: it is what this step trains.
        changed = [w.path for w, a, b in zip(model.trainable_weights, after, before) if np.any(a != b)]
        self.assertEqual(changed, ["predictions/kernel", "predictions/bias"])

    # Other backends run in a subprocess each: CI's slow selection runs them.
    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_other_backends(self, backend):
        out = run_on_backend(
            backend,
            """
            import numpy as np, keras, keras_mlp
            model = keras_mlp.MixerS32(input_shape=(64, 64, 3), classes=3, drop_path_rate=0.1)
            model.compile("adam", "sparse_categorical_crossentropy")
            model.fit(np.random.uniform(size=(4, 64, 64, 3)), np.array([0, 1, 2, 0]), verbose=0)
            print(keras.backend.backend(), model.predict(np.zeros((2, 64, 64, 3)), verbose=0).shape)
            """,
        )
        self.assertIn(f"{backend} (2, 3)", out)
