import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

import keras_mlp
from keras_mlp.layers import ConvBN
from keras_mlp.models.repmlpnet import MODEL_CONFIGS
from tests import repmlpnet_torch, testing
from keras_mlp.models.reparameterize import randomize_batch_norms

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

# Trainable parameters of the training form (PyTorch `parameters()`, i.e.
# without BatchNorm running statistics), 1000 classes. The official README's
# column (38.3M, 68.2M, 58.7M, 96.5M, 86.9M, 117.7M) is this training form:
# T224 is 38,293,608 in the official code, 38,331,720 after
# `locality_injection()`.
TRAIN_PARAMS = {
    "repmlpnet_t224": 38_293_608,
    "repmlpnet_b224": 68_242_712,
    "repmlpnet_t256": 58_687_848,
    "repmlpnet_b256": 96_447_512,
    "repmlpnet_d256": 86_887_648,
    "repmlpnet_l256": 117_641_560,
}
# README: (params in M, GFLOPs, i.e. multiply-accumulates in G).
README = {
    "repmlpnet_t224": (38.3, 2.8),
    "repmlpnet_b224": (68.2, 6.7),
    "repmlpnet_t256": (58.7, 4.2),
    "repmlpnet_b256": (96.5, 9.6),
    "repmlpnet_d256": (86.9, 8.6),
    "repmlpnet_l256": (117.7, 11.5),
}
TINY = dict(
    channels=(8, 16, 16, 16),
    num_blocks=(1, 2, 1, 1),
    sharesets_nums=(1, 2, 4, 8),
    partition_sizes=(4, 4, 2, 1),
    input_shape=(32, 32, 3),
    classes=10,
    classifier_activation=None,
)


def _official_deploy_params(deploy_model):
    """Parameters the official deploy form would have: it keeps each conv_bn
    pair, i.e. one more parameter per output channel than a fused ConvBN."""
    extra = sum(layer.filters for layer in deploy_model.layers if isinstance(layer, ConvBN))
    return testing.trainable_params(deploy_model) + extra


def _images(model, batch=2):
    shape = model.input_shape[1:]
    return np.random.default_rng(0).normal(size=(batch, *shape)).astype("float32")


class RepMLPNetTest(testing.TestCase, parameterized.TestCase):
    def test_t224_counts_match_official(self):
        model = keras_mlp.RepMLPNetT224()
        self.assertEqual(testing.trainable_params(model), TRAIN_PARAMS["repmlpnet_t224"])
        reference = repmlpnet_torch.RepMLPNet(**_torch_config("repmlpnet_t224"))
        self.assertEqual(testing.trainable_params(model), sum(p.numel() for p in reference.parameters()))
        deploy = keras_mlp.reparameterize(model)
        self.assertEqual(_official_deploy_params(deploy), 38_331_720)
        self.assertAllClose(keras_mlp.count_macs(deploy) / 1e9, README["repmlpnet_t224"][1], atol=0.05)

    def test_every_registered_model_has_a_count(self):
        self.assertEqual(set(keras_mlp.list_models("repmlpnet_*")), set(TRAIN_PARAMS))
        self.assertEqual(set(MODEL_CONFIGS), set(TRAIN_PARAMS))

    def test_matches_official_model_in_both_forms(self):
        model = keras_mlp.RepMLPNet(**TINY)
        reference = repmlpnet_torch.RepMLPNet(
            TINY["channels"], TINY["num_blocks"], TINY["sharesets_nums"],
            TINY["partition_sizes"], classes=10,
        ).eval()
        repmlpnet_torch.randomize_batch_norms(reference)
        path = os.path.join(self.get_temp_dir(), "train.pth")
        torch.save(reference.state_dict(), path)
        model = keras_mlp.RepMLPNet(**TINY, weights=path)
        x = _images(model)
        with torch.no_grad():
            expected = reference(torch.from_numpy(np.transpose(x, (0, 3, 1, 2)))).numpy()
        self.assertAllClose(model(x, training=False), expected, atol=1e-4, rtol=1e-4)

        deploy = keras_mlp.reparameterize(model)
        reference.locality_injection()
        with torch.no_grad():
            expected = reference(torch.from_numpy(np.transpose(x, (0, 3, 1, 2)))).numpy()
        self.assertAllClose(deploy(x), expected, atol=1e-4, rtol=1e-4)

    # Other backends run in a subprocess each: CI's slow selection runs them.
    @parameterized.parameters("tensorflow", "jax", "torch")
    @pytest.mark.slow
    def test_reparameterize_model_on_backend(self, backend):
        code = f"""
            import keras, numpy as np, keras_mlp
            from keras_mlp.models.reparameterize import randomize_batch_norms
            model = keras_mlp.RepMLPNet(**{TINY!r})
            randomize_batch_norms(model)
            x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
            deploy = keras_mlp.reparameterize(model)
            a = keras.ops.convert_to_numpy(model(x, training=False))
            b = keras.ops.convert_to_numpy(deploy(x))
            print(len(deploy.weights) < len(model.weights), np.max(np.abs(a - b)) / np.max(np.abs(a)))
            """
        flag, error = testing.run_on_backend(backend, code).split()[-2:]
        self.assertEqual(flag, "True")
        self.assertLessEqual(float(error), 1e-5)

    def test_reparameterize_leaves_the_training_model_intact(self):
        model = keras_mlp.RepMLPNet(**TINY)
        randomize_batch_norms(model)
        before = [keras.ops.convert_to_numpy(v) for v in model.weights]
        paths = [v.path for v in model.weights]
        deploy = keras_mlp.reparameterize(model)
        self.assertEqual([v.path for v in model.weights], paths)
        for variable, value in zip(model.weights, before):
            self.assertAllEqual(variable, value)
        self.assertTrue(all(layer.deploy for layer in deploy.layers if hasattr(layer, "deploy")))
        self.assertFalse(any("repconv" in v.path or "fc3_bn" in v.path for v in deploy.weights))
        self.assertEqual(keras_mlp.reparameterize(deploy).count_params(), deploy.count_params())

    @parameterized.parameters(False, True)
    def test_serialization(self, deploy):
        model = keras_mlp.RepMLPNet(**TINY, deploy=deploy)
        randomize_batch_norms(model)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        x = _images(model)
        self.assertAllClose(restored(x), model(x), atol=1e-6)
        self.assertEqual(restored.get_layer("stage0_block_0_repmlp").deploy, deploy)

    def test_features_only(self):
        model = keras_mlp.RepMLPNet(**dict(TINY, classes=1000, classifier_activation="softmax"), include_top=False, features_only=True)
        shapes = [tuple(t.shape) for t in model.outputs]
        self.assertEqual(shapes, [(None, 8, 8, 8), (None, 4, 4, 16), (None, 2, 2, 16), (None, 1, 1, 16)])
        with self.assertRaisesRegex(ValueError, "include_top=False"):
            keras_mlp.RepMLPNet(**TINY, features_only=True)

    def test_reparameterize_nested_backbone(self):
        """A segmentation-style model around a `features_only` backbone."""
        backbone = keras_mlp.RepMLPNet(**TINY, include_top=False, features_only=True)
        inputs = keras.Input((32, 32, 3))
        outputs = keras.layers.Conv2D(5, 1, name="seg_head")(backbone(inputs)["stage1_block_1"])
        model = keras.Model(inputs, outputs)
        randomize_batch_norms(model)
        deploy = keras_mlp.reparameterize(model)
        self.assertTrue(deploy.layers[1].get_layer("stage0_block_0_repmlp").deploy)
        x = _images(model)
        expected = keras.ops.convert_to_numpy(model(x, training=False))
        error = np.max(np.abs(keras.ops.convert_to_numpy(deploy(x)) - expected)) / np.max(np.abs(expected))
        self.assertLessEqual(error, 1e-5)

    def test_other_resolution(self):
        model = keras_mlp.RepMLPNet(**dict(TINY, input_shape=(64, 32, 3)))
        self.assertEqual(model(_images(model)).shape, (2, 10))
        with self.assertRaisesRegex(ValueError, r"multiples of 32.*input_shape=\(48, 32, 3\)"):
            keras_mlp.RepMLPNet(**dict(TINY, input_shape=(48, 32, 3)))


@pytest.mark.slow
class RepMLPNetCountsTest(testing.TestCase, parameterized.TestCase):
    @parameterized.parameters(*sorted(TRAIN_PARAMS))
    def test_counts_table(self, name):
        model = keras_mlp.create_model(name)
        self.assertEqual(testing.trainable_params(model), TRAIN_PARAMS[name])
        reference = repmlpnet_torch.RepMLPNet(**_torch_config(name))
        self.assertEqual(TRAIN_PARAMS[name], sum(p.numel() for p in reference.parameters()))
        params, gmacs = README[name]
        # The README rounds some entries up (96.45M -> 96.5M, 117.64M -> 117.7M).
        self.assertAllClose(TRAIN_PARAMS[name] / 1e6, params, atol=0.065)
        self.assertAllClose(keras_mlp.count_macs(keras_mlp.reparameterize(model)) / 1e9, gmacs, rtol=0.015)


def _torch_config(name):
    config = dict(MODEL_CONFIGS[name])
    return dict(
        channels=config["channels"],
        num_blocks=config["num_blocks"],
        sharesets_nums=config["sharesets_nums"],
        partition_sizes=config["partition_sizes"],
    )


if __name__ == "__main__":
    tf.test.main()
