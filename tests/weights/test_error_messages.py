"""Corrupt files and failed downloads say what is wrong and what to do."""

import os
from unittest import mock

import torch  # noqa: F401  (before TensorFlow, see conftest)

import numpy as np

import keras_mlp
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.weights import records, registry
from keras_mlp.weights.checkpoint_io import CheckpointError, read_state_dict
from tests.testing import TestCase


class ErrorMessagesTest(TestCase):
    def random_file(self, name):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "wb") as f:
            f.write(np.random.RandomState(0).bytes(4096))
        return path

    def test_random_bytes_pth_is_corrupt_and_never_advises_unsafe_loading(self):
        for name in ("random.pth", "random.bin"):
            with self.assertRaisesRegex(CheckpointError, "truncated or corrupt") as raised:
                read_state_dict(self.random_file(name))
            self.assertNotIn("weights_only", str(raised.exception))

    def test_truncated_pth(self):
        path = os.path.join(self.get_temp_dir(), "whole.pth")
        torch.save({"w": torch.ones(64, 64)}, path)
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        with self.assertRaisesRegex(CheckpointError, "truncated or corrupt"):
            read_state_dict(path)

    def test_pickle_with_objects_is_refused_without_unsafe_advice(self):
        path = os.path.join(self.get_temp_dir(), "objects.pth")
        torch.save({"w": torch.ones(2), "f": np.float64}, path, _use_new_zipfile_serialization=True)
        with self.assertRaisesRegex(CheckpointError, "refuses to unpickle") as raised:
            read_state_dict(path)
        self.assertNotIn("weights_only=False", str(raised.exception))

    def test_random_bytes_keras_is_corrupt_not_missing(self):
        with self.assertRaisesRegex(CheckpointError, "not a readable .keras file.*truncated or corrupt"):
            keras_mlp.MixerT4(weights=self.random_file("random.keras"), input_shape=(16, 16, 3))

    def test_failed_download_names_url_cache_path_and_local_alternative(self):
        record = records.PretrainedWeights(
            model="mixer_s32", tag="offline", url="file:///nonexistent/offline.npz", sha256=None,
            classes=10, labels="imagenet1k", preprocessing=INCEPTION,
        )
        home = os.path.join(self.get_temp_dir(), "keras_home")
        with mock.patch.dict(os.environ, {"KERAS_HOME": home}):
            with self.assertRaises(OSError) as raised:
                registry.fetch(record)
        message = str(raised.exception)
        self.assertIn(record.url, message)
        self.assertIn(os.path.join(home, "models", "keras_mlp", record.file_name), message)
        self.assertIn("--weights=/path/to/file", message)
