import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import os

import keras
import numpy as np
import tensorflow as tf

import keras_mlp
from keras_mlp.weights import repmlp_checkpoints
from tests import repmlpnet_torch, testing

TINY = dict(
    channels=(8, 16, 16, 16),
    num_blocks=(1, 1, 1, 1),
    sharesets_nums=(1, 2, 4, 8),
    partition_sizes=(4, 4, 2, 1),
)


class RepMLPCheckpointsTest(testing.TestCase):
    def setUp(self):
        super().setUp()
        self.reference = repmlpnet_torch.RepMLPNet(**TINY, classes=10).eval()
        repmlpnet_torch.randomize_batch_norms(self.reference)
        self.images = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")

    def _save(self, name):
        path = os.path.join(self.get_temp_dir(), name)
        # The official checkpoints are plain state dicts, some wrapped in "model".
        torch.save({"model": self.reference.state_dict()}, path)
        return path

    def _expected(self):
        with torch.no_grad():
            x = torch.from_numpy(np.transpose(self.images, (0, 3, 1, 2)))
            return self.reference(x).numpy()

    def _build(self, **kwargs):
        return keras_mlp.RepMLPNet(
            **TINY, input_shape=(32, 32, 3), classes=10, classifier_activation=None, **kwargs
        )

    def test_every_official_key_is_mapped(self):
        for deploy in (False, True):
            if deploy:
                self.reference.locality_injection()
            state = {k: v.numpy() for k, v in self.reference.state_dict().items()}
            state = repmlp_checkpoints.fold_deploy_conv_bn(state)
            converted, unknown = repmlp_checkpoints.OFFICIAL_REPMLPNET.convert(state)
            self.assertEmpty(unknown)
            model = self._build(deploy=deploy)
            self.assertEqual(sorted(converted), sorted(v.path for v in model.weights))

    def test_train_checkpoint(self):
        model = self._build(weights=self._save("train.pth"))
        self.assertAllClose(model(self.images, training=False), self._expected(), atol=1e-4, rtol=1e-4)

    def test_train_checkpoint_into_deploy_form(self):
        model = self._build(weights=self._save("train.pth"), deploy=True)
        self.assertTrue(model.get_layer("stage0_block_0_repmlp").deploy)
        self.assertAllClose(model(self.images), self._expected(), atol=1e-4, rtol=1e-4)

    def test_deploy_checkpoint(self):
        self.reference.locality_injection()
        path = self._save("deploy.pth")
        model = self._build(weights=path, deploy=True)
        self.assertAllClose(model(self.images), self._expected(), atol=1e-4, rtol=1e-4)
        with self.assertRaisesRegex(ValueError, "deploy-form checkpoint.*deploy=True"):
            self._build(weights=path)

    def test_round_trip_through_keras_weights(self):
        model = self._build(weights=self._save("train.pth"))
        path = os.path.join(self.get_temp_dir(), "model.weights.h5")
        model.save_weights(path)
        restored = self._build(weights=path)
        self.assertAllClose(restored(self.images, training=False), self._expected(), atol=1e-4, rtol=1e-4)

    def test_new_head_and_backbone_only(self):
        path = self._save("train.pth")
        with self.assertWarnsRegex(UserWarning, "classifier head was not loaded"):
            keras_mlp.RepMLPNet(**TINY, input_shape=(32, 32, 3), classes=3, weights=path)
        backbone = keras_mlp.RepMLPNet(
            **TINY, input_shape=(32, 32, 3), include_top=False, features_only=True, weights=path
        )
        self.assertLen(backbone.outputs, 4)

    def test_bad_checkpoint_leaves_model_untouched(self):
        state = self.reference.state_dict()
        state["stages.1.0.repmlp_block.fc3.weight"] = torch.zeros(3, 3, 1, 1)
        del state["stages.0.0.prebn1.running_var"]
        path = os.path.join(self.get_temp_dir(), "bad.pth")
        torch.save(state, path)
        model = self._build()
        before = [keras.ops.convert_to_numpy(v) for v in model.weights]
        with self.assertRaisesRegex(
            keras_mlp.CheckpointError, r"(?s)nothing was loaded.*prebn1/moving_variance.*fc3_kernel"
        ):
            keras_mlp.weights.loading.load_weights(
                model, keras_mlp.weights.loading.WeightsSource(path, "repmlpnet"),
                repmlp_checkpoints.SPEC,
            )
        for variable, value in zip(model.weights, before):
            self.assertAllEqual(variable, value)
        with self.assertRaises(keras_mlp.CheckpointError):
            self._build(weights=path)

    def test_not_a_repmlpnet_checkpoint(self):
        path = os.path.join(self.get_temp_dir(), "other.pth")
        torch.save({"blocks.0.weight": torch.zeros(2)}, path)
        with self.assertRaisesRegex(keras_mlp.CheckpointError, "not a checkpoint of this architecture"):
            self._build(weights=path)


if __name__ == "__main__":
    tf.test.main()
