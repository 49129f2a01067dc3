"""Bad `weights=` arguments and checkpoints give one clear error and change nothing."""

import os

import safetensors.numpy
import torch  # noqa: F401  (before TensorFlow, see conftest)

import keras
import numpy as np

import keras_mlp
from keras_mlp.weights.checkpoint_io import CheckpointError
from keras_mlp.weights.loading import WeightsSource, load_weights
from keras_mlp.weights import mixer_checkpoints
from tests.testing import TestCase


def tiny_mixer(**kwargs):
    kwargs.setdefault("classes", 5)
    return keras_mlp.MLPMixer(
        patch_size=8, hidden_dim=16, num_blocks=2, tokens_mlp_dim=8,
        channels_mlp_dim=32, input_shape=kwargs.pop("input_shape", (32, 32, 3)),
        classifier_activation=None, **kwargs
    )


class LoadingErrorsTest(TestCase):
    def save(self, model, name="ckpt.weights.h5"):
        path = os.path.join(self.get_temp_dir(), name)
        model.save_weights(path)
        return path

    def test_keras_weights_round_trip(self):
        source = tiny_mixer()
        path = self.save(source)
        model = tiny_mixer(weights=path)
        x = np.random.RandomState(0).normal(size=(2, 32, 32, 3)).astype("float32")
        self.assertAllClose(model(x), source(x))

    def test_unknown_tag_lists_available(self):
        with self.assertRaisesRegex(ValueError, "Available tags: .*imagenet1k"):
            keras_mlp.MixerB16(weights="imagenet")

    def test_missing_file(self):
        with self.assertRaisesRegex(FileNotFoundError, "not found"):
            keras_mlp.MixerS32(weights="/nonexistent/model.npz")

    def test_corrupt_file_names_the_problem(self):
        for suffix in ("npz", "safetensors", "pth"):
            path = os.path.join(self.get_temp_dir(), f"broken.{suffix}")
            with open(path, "wb") as f:
                f.write(b"\x00not a checkpoint" * 10)
            with self.assertRaisesRegex(CheckpointError, "corrupt"):
                tiny_mixer(weights=path)

    def test_unsupported_suffix(self):
        path = os.path.join(self.get_temp_dir(), "model.onnx")
        open(path, "wb").close()
        with self.assertRaisesRegex(CheckpointError, "Unknown checkpoint format"):
            tiny_mixer(weights=path)

    def test_other_architecture_is_refused(self):
        path = os.path.join(self.get_temp_dir(), "resnet.safetensors")
        safetensors.numpy.save_file({"conv1.weight": np.zeros((4, 3, 3, 3), "float32")}, path)
        with self.assertRaisesRegex(CheckpointError, "not a checkpoint of this architecture"):
            tiny_mixer(weights=path)

    def test_mismatch_lists_everything_and_leaves_model_untouched(self):
        flat = {
            "stem/kernel": np.zeros((8, 8, 3, 16), "float32"),
            "stem/bias": np.zeros((16,), "float32"),
            "MixerBlock_0/LayerNorm_0/scale": np.zeros((99,), "float32"),
            "MixerBlock_7/LayerNorm_0/scale": np.zeros((16,), "float32"),
        }
        path = os.path.join(self.get_temp_dir(), "partial.npz")
        np.savez(path, **flat)
        model = tiny_mixer()
        with self.assertRaisesAndKeepsWeights(model, CheckpointError) as ctx:
            load_weights(model, WeightsSource(path, "mlp_mixer"), mixer_checkpoints.SPEC)
        message = str(ctx.exception)
        self.assertIn("nothing was loaded", message)
        self.assertIn("missing from the checkpoint", message)
        self.assertIn("25 weight(s) missing from the checkpoint", message)
        self.assertIn("block_0/token_mixing/fc1/kernel", message)
        self.assertIn("in the checkpoint but not in the model:\n    block_7/norm1/gamma", message)
        self.assertIn("block_0/norm1/gamma: checkpoint (99,), model (16,)", message)

    def test_keras_weights_of_other_model_leave_model_untouched(self):
        path = self.save(keras_mlp.MLPMixer(
            patch_size=8, hidden_dim=24, num_blocks=2, tokens_mlp_dim=8,
            channels_mlp_dim=32, input_shape=(32, 32, 3), classes=5,
        ))
        model = tiny_mixer()
        with self.assertRaisesAndKeepsWeights(model, CheckpointError, "nothing was loaded"):
            load_weights(model, WeightsSource(path, "mlp_mixer"), mixer_checkpoints.SPEC)
