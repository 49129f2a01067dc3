"""Feed-forward-only ViT family: sizes, shapes, token_mixer, serialization, backends."""

import os

import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from tests.testing import TestCase, run_on_backend

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

# Exact parameter counts at 224px, 1000 classes. feedforward_tiny is the
# official `linear_tiny` count; deit_* are timm's `deit_*_patch16_224`; the
# paper's table rounds the feed-forward ones to 7.7M, 62M and 206M.
PARAMS = {
    ("tiny", "feedforward"): 7_676_332,
    ("tiny", "attention"): 5_717_416,
    ("tiny", "attention_only"): 2_162_344,
    ("base", "feedforward"): 61_943_020,
    ("base", "attention"): 86_567_656,
    ("base", "attention_only"): 29_880_040,
    ("large", "feedforward"): 206_213_048,
    ("large", "attention"): 306_535_400,  # timm vit_large_patch32_224
    ("large", "attention_only"): 105_036_776,
}
CONSTRUCTORS = {
    "tiny": keras_mlp.FeedForwardTiny,
    "base": keras_mlp.FeedForwardBase,
    "large": keras_mlp.FeedForwardLarge,
}


def tiny_model(token_mixer="feedforward", **kwargs):
    kwargs.setdefault("input_shape", (32, 32, 3))
    kwargs.setdefault("classes", 5)
    return keras_mlp.FeedForwardViT(
        patch_size=8, hidden_dim=16, num_blocks=2, num_heads=2,
        token_mixer=token_mixer, **kwargs
    )


class ParameterCountTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(
        [dict(size=s, token_mixer=t) for (s, t) in PARAMS if s != "large"]
    )
    def test_exact_count(self, size, token_mixer):
        model = CONSTRUCTORS[size](token_mixer=token_mixer)
        self.assertEqual(model.count_params(), PARAMS[(size, token_mixer)])

    def test_deit_constructors_are_the_attention_arm(self):
        self.assertEqual(keras_mlp.DeiTTiny().count_params(), PARAMS[("tiny", "attention")])
        self.assertEqual(keras_mlp.create_model("deit_tiny").name, "deit_tiny")
        with self.assertRaises(TypeError):
            keras_mlp.DeiTTiny(token_mixer="feedforward")

    def test_registry(self):
        self.assertEqual(
            keras_mlp.list_models("feedforward_*"),
            ["feedforward_base", "feedforward_large", "feedforward_tiny"],
        )
        self.assertEqual(keras_mlp.list_models("deit_*"), ["deit_base", "deit_tiny"])


@pytest.mark.slow
class LargeParameterCountTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(["feedforward", "attention", "attention_only"])
    def test_exact_count(self, token_mixer):
        model = keras_mlp.FeedForwardLarge(token_mixer=token_mixer)
        self.assertEqual(model.count_params(), PARAMS[("large", token_mixer)])


class FeedForwardViTTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(["feedforward", "attention", "attention_only"])
    def test_shapes(self, token_mixer):
        model = tiny_model(token_mixer)
        self.assertEqual(model.output_shape, (None, 5))
        images = np.random.RandomState(0).uniform(size=(2, 32, 32, 3)).astype("float32")
        probs = model.predict(images, verbose=0)
        self.assertAllClose(probs.sum(-1), [1.0, 1.0], atol=1e-5)
        self.assertEqual(
            tiny_model(token_mixer, include_top=False).output_shape, (None, 17, 16)
        )
        for pooling in ("avg", "max"):
            self.assertEqual(
                tiny_model(token_mixer, include_top=False, pooling=pooling).output_shape,
                (None, 16),
            )

    def test_non_square_input(self):
        model = tiny_model(input_shape=(48, 32, 3), include_top=False)
        self.assertEqual(model.output_shape, (None, 1 + 6 * 4, 16))

    def test_token_mlp_follows_resolution(self):
        model = tiny_model(input_shape=(64, 64, 3))
        self.assertEqual(model.get_layer("block_0").norm2.gamma.shape, (65,))

    def test_drop_path_grows_linearly(self):
        model = keras_mlp.FeedForwardViT(
            8, 16, 5, 2, input_shape=(32, 32, 3), drop_path_rate=0.2
        )
        rates = [model.get_layer(f"block_{i}").drop_path_rate for i in range(5)]
        self.assertAllClose(rates, [0.0, 0.05, 0.1, 0.15, 0.2])

    @parameterized.parameters(["feedforward", "attention", "attention_only"])
    def test_keras_serialization(self, token_mixer):
        model = tiny_model(token_mixer, drop_path_rate=0.1, dropout_rate=0.1)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        images = np.random.RandomState(0).uniform(size=(2, 32, 32, 3)).astype("float32")
        self.assertAllClose(model(images), restored(images), atol=1e-6)
        self.assertEqual(
            [layer.name for layer in model.layers], [layer.name for layer in restored.layers]
        )

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(ValueError, "token_mixer.*Received: token_mixer='mlp'"):
            tiny_model("mlp")
        with self.assertRaisesRegex(ValueError, "token_mixer"):
            keras_mlp.FeedForwardTiny(token_mixer="conv")
        with self.assertRaisesRegex(ValueError, "multiples of the patch size"):
            tiny_model(input_shape=(30, 32, 3))
        with self.assertRaisesRegex(ValueError, "pooling"):
            tiny_model(include_top=False, pooling="token")

    def test_unknown_tag(self):
        with self.assertRaisesRegex(ValueError, "Available tags: none"):
            keras_mlp.FeedForwardLarge(weights="imagenet1k")
        with self.assertRaisesRegex(ValueError, "attention_only_tiny"):
            keras_mlp.FeedForwardTiny(token_mixer="attention_only", weights="imagenet1k")

    def test_pretrained_records(self):
        for name in ("feedforward_tiny", "feedforward_base", "deit_tiny", "deit_base"):
            record = keras_mlp.get_pretrained(name, "imagenet1k")
            self.assertEqual(record.preprocessing.mean, (0.485, 0.456, 0.406))
            self.assertEqual((record.preprocessing.crop_pct, record.preprocessing.interpolation), (0.875, "bicubic"))
            self.assertEqual(dict(record.arguments), {})
        self.assertEqual(
            keras_mlp.get_pretrained("feedforward_base.imagenet1k").url,
            "https://github.com/lukemelas/do-you-even-need-attention/releases/"
            "download/v0.0.1/linear-base-checkpoint.pth",
        )


class BackendTest(TestCase, parameterized.TestCase):
    # Other backends run in a subprocess each: CI's slow selection runs them.
    @parameterized.parameters(["jax", "torch"])
    @pytest.mark.slow
    def test_forward_and_train_step(self, backend):
        out = run_on_backend(
            backend,
            """
            import numpy as np, keras_mlp
            for mixer in ("feedforward", "attention", "attention_only"):
                model = keras_mlp.FeedForwardViT(
                    8, 16, 2, 2, token_mixer=mixer, input_shape=(32, 32, 3),
                    classes=3, drop_path_rate=0.1,
                )
                x = np.random.rand(4, 32, 32, 3).astype("float32")
                if mixer == "feedforward":
                    model.compile("adam", "sparse_categorical_crossentropy")
                    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
                print(mixer, model.predict(x, verbose=0).shape)
            """,
        )
        self.assertIn("attention_only (4, 3)", out)
        self.assertIn("feedforward (4, 3)", out)
