"""A saved model carries its metadata inside the .keras file, and reads back with it."""

import json
import os
import zipfile

import keras
import numpy as np

from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.model_io.metadata import (
    ARCHIVE_ENTRY,
    ModelMetadata,
    find_metadata,
    load_model,
    model_file,
    read_metadata,
    save_model,
)
from keras_mlp.weights.checkpoint_io import CheckpointError
from tests.saved_models import TINY_METADATA as METADATA
from tests.testing import TestCase


class MetadataTest(TestCase):
    def test_save_model_embeds_metadata_that_load_model_ignores(self):
        model = METADATA.build()
        path = os.path.join(self.get_temp_dir(), "final.keras")
        save_model(model, path, METADATA)
        with zipfile.ZipFile(path) as archive:
            self.assertIn(ARCHIVE_ENTRY, archive.namelist())
        plain = keras.saving.load_model(path)  # Keras' own loader is unaffected
        loaded, metadata = load_model(path)
        self.assertEqual(metadata, METADATA)
        self.assertEqual(read_metadata(path), METADATA)
        x = np.random.RandomState(0).normal(size=(2, 16, 16, 3)).astype("float32")
        self.assertAllClose(loaded(x), model(x))
        self.assertAllClose(plain(x), model(x))
        self.assertEqual(find_metadata(self.get_temp_dir()), METADATA)  # the run directory
        self.assertEqual(os.listdir(self.get_temp_dir()), ["final.keras"])  # no temporary left

    def test_json_round_trip_is_stable(self):
        config = json.loads(json.dumps(METADATA.to_dict()))
        self.assertEqual(ModelMetadata.from_dict(config), METADATA)
        self.assertEqual(config["class_names"], ["cat", "dog", "bird"])
        self.assertEqual(config["arguments"]["input_shape"], [16, 16, 3])

    def test_plain_keras_file_has_no_metadata(self):
        path = os.path.join(self.get_temp_dir(), "plain.keras")
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(path)
        self.assertIsNone(read_metadata(path))
        self.assertIsNone(find_metadata("imagenet1k"))  # a tag is no file
        hub_folder = os.path.join(self.get_temp_dir(), "hub_folder")
        os.makedirs(hub_folder)
        open(os.path.join(hub_folder, "config.json"), "w").close()
        self.assertIsNone(find_metadata(hub_folder))  # a Hub model folder is not a run

    def test_corrupt_file_is_called_corrupt(self):
        path = os.path.join(self.get_temp_dir(), "random.keras")
        with open(path, "wb") as f:
            f.write(np.random.RandomState(0).bytes(4096))
        with self.assertRaisesRegex(CheckpointError, "not a readable .keras file.*truncated or corrupt"):
            load_model(path)

    def test_unfinished_run_directory(self):
        run = os.path.join(self.get_temp_dir(), "run")
        os.makedirs(run)
        self.assertIsNone(find_metadata(run), "not a run directory yet")
        open(os.path.join(run, "run.json"), "w").close()
        with self.assertRaisesRegex(FileNotFoundError, "has no final.keras"):
            find_metadata(run)
        with self.assertRaisesRegex(FileNotFoundError, "has no final.keras: the run has not finished"):
            model_file(run)
        with self.assertRaisesRegex(FileNotFoundError, "No such model file"):
            model_file(os.path.join(run, "missing.keras"))

    def test_class_names_must_fit_the_head(self):
        with self.assertRaisesRegex(ValueError, "2 class names for a head of 3 classes"):
            ModelMetadata("mixer_t4", {"classes": 3}, INCEPTION, ["a", "b"])
