import os

import keras
import numpy as np
import tensorflow as tf

import keras_mlp
from tests import testing


class RepMLPCIFARTest(testing.TestCase):
    def test_train_reparameterize_and_save(self):
        model = keras_mlp.RepMLPCIFAR(classifier_activation=None)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(8, 32, 32, 3)).astype("float32")
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, rng.integers(0, 10, size=8), epochs=1, batch_size=4, verbose=0)
        deploy = keras_mlp.reparameterize(model)
        convs = [v.path for v in deploy.weights if v.path.endswith("conv/kernel") and "repconv" in v.path]
        self.assertEmpty(convs)
        expected = keras.ops.convert_to_numpy(model(x, training=False))
        self.assertLessEqual(np.max(np.abs(keras.ops.convert_to_numpy(deploy(x)) - expected)) / np.max(np.abs(expected)), 1e-5)
        path = os.path.join(self.get_temp_dir(), "deploy.keras")
        deploy.save(path)
        self.assertAllClose(keras.saving.load_model(path)(x), deploy(x), atol=1e-6)


if __name__ == "__main__":
    tf.test.main()
