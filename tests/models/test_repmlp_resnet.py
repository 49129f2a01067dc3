import os

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

import keras_mlp
from keras_mlp.layers import RepMLPV1Block
from tests import testing
from keras_mlp.models.reparameterize import randomize_batch_norms


def _relative_error(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


class RepMLPResNetTest(testing.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        # (constructor, RepMLP blocks: stride-1 blocks of stages 2 and 3).
        ("light", keras_mlp.RepMLPRes50Light224, "light_repmlp"),
        ("bottleneck", keras_mlp.RepMLPRes50Bottleneck224, "btnk_repmlp"),
    )
    def test_reparameterize_whole_model(self, constructor, block_name):
        model = constructor(classifier_activation=None, input_shape=(112, 112, 3), classes=10)
        blocks = [layer for layer in model.layers if isinstance(layer, RepMLPV1Block)]
        self.assertLen(blocks, 3 + 5)
        self.assertTrue(all(block.name.endswith(block_name) for block in blocks))
        randomize_batch_norms(model)
        deploy = keras_mlp.reparameterize(model)
        self.assertFalse(any("bn" in v.path or "repconv" in v.path for v in deploy.weights))
        x = np.random.default_rng(0).normal(size=(2, 112, 112, 3)).astype("float32")
        expected = keras.ops.convert_to_numpy(model(x, training=False))
        self.assertLessEqual(_relative_error(keras.ops.convert_to_numpy(deploy(x)), expected), 1e-5)

    def test_features_and_resolution(self):
        model = keras_mlp.RepMLPRes50Light224(include_top=False, features_only=True, input_shape=(112, 112, 3))
        self.assertEqual([t.shape[1:] for t in model.outputs], [(28, 28, 256), (14, 14, 512), (7, 7, 1024), (4, 4, 2048)])
        with self.assertRaisesRegex(ValueError, "multiples of 112"):
            keras_mlp.RepMLPRes50Light224(input_shape=(160, 160, 3))
        with self.assertRaisesRegex(ValueError, "`block_type`"):
            keras_mlp.RepMLPResNet(block_type="heavy")

    def test_weights_are_keras_files_only(self):
        path = os.path.join(self.get_temp_dir(), "RepMLP-Res50-light-224_train.pth")
        with open(path, "wb") as f:
            f.write(b"official v1 checkpoint")
        with self.assertRaisesRegex(keras_mlp.CheckpointError, r"No published checkpoints.*\.weights\.h5"):
            keras_mlp.RepMLPRes50Light224(weights=path, input_shape=(112, 112, 3))


if __name__ == "__main__":
    tf.test.main()
