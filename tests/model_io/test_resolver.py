"""One answer to "what are these weights?" for train, evaluate, predict, export and the Hub."""

import os
import shutil
import tempfile
from unittest import mock

import huggingface_hub
import keras
import numpy as np

import keras_mlp
from keras_mlp.classification import TrainConfig
from keras_mlp.classification.predict import load_classifier, prediction_weights
from keras_mlp.classification.trainer import plan
from keras_mlp.model_io.metadata import save_model
from keras_mlp.model_io.resolver import resolve_weights
from keras_mlp.weights.records import WrongModelError
from keras_mlp.weights.registry import get_pretrained
from tests.registered_models import randomize_head
from tests.saved_models import TINY_METADATA
from tests.testing import TestCase
from tests.model_io.test_hub import write_hub_cache


class ResolverTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp()
        cls.model = TINY_METADATA.build()
        randomize_head(cls.model)
        # The same model as a run directory, its `.keras` file, a Hub folder
        # on disk and that folder in the Hub cache.
        run = os.path.join(cls.dir, "run")
        os.makedirs(run)
        save_model(cls.model, os.path.join(run, "final.keras"), TINY_METADATA)
        folder = keras_mlp.save_pretrained(cls.model, os.path.join(cls.dir, "hub"), TINY_METADATA)
        cls.cache = os.path.join(cls.dir, "hf", "hub")
        write_hub_cache(cls.cache, "me/pets", folder)
        cls.kinds = {
            "run directory": run,
            ".keras file": os.path.join(run, "final.keras"),
            "Hub folder": folder,
            "hf:// handle": "hf://me/pets",
        }

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        patcher = mock.patch.multiple(
            huggingface_hub.constants, HF_HUB_CACHE=self.cache, HF_HUB_OFFLINE=True
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_every_script_reads_the_same_model_preprocessing_and_classes(self):
        expected = (TINY_METADATA.model, TINY_METADATA.preprocessing, TINY_METADATA.class_names)
        record = get_pretrained("mixer_b16.goog_in21k_ft_in1k")
        tag = ("mixer_b16", record.preprocessing, resolve_weights(record.name).class_names)
        self.assertEqual(tag[2][281], "n02123045")  # timm's ImageNet head, as on the Hub
        cases = {kind: (weights, expected) for kind, weights in self.kinds.items()}
        cases["tag"] = (record.name, tag)
        for kind, (weights, want) in cases.items():
            with self.subTest(kind):
                # examples/evaluate.py and export.py
                evaluated = resolve_weights(weights)
                # examples/predict.py
                predicted = prediction_weights(weights)
                # examples/train.py (the plan reads only what the weights say)
                trained = plan(TrainConfig(weights=weights, recipe="finetune")).weights
                for resolved in (evaluated, predicted, trained):
                    self.assertEqual((resolved.model, resolved.preprocessing, resolved.class_names), want)
                if kind.startswith("Hub") or kind.startswith("hf"):
                    meta = keras_mlp.load_metadata(weights)  # from_pretrained's
                    self.assertEqual((meta.model, meta.preprocessing, meta.class_names), want)

    def test_every_kind_builds_the_same_classifier(self):
        x = np.random.RandomState(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
        expected = keras.ops.convert_to_numpy(keras.ops.softmax(self.model(x)))
        # A saved model loads as saved; Hub weights go through the constructor.
        for kind in (".keras file", "Hub folder"):
            with self.subTest(kind):
                classifier = load_classifier(prediction_weights(self.kinds[kind]))
                self.assertAllClose(classifier(x), expected, atol=1e-6)
        from_hub = keras_mlp.from_pretrained(self.kinds["hf:// handle"])
        self.assertAllClose(keras.ops.softmax(from_hub(x)), expected, atol=1e-6)

    def test_the_model_asked_for_must_be_the_weights_model(self):
        kinds = {**self.kinds, "tag": "mixer_b16.sam"}
        for kind, weights in kinds.items():
            with self.subTest(kind):
                with self.assertRaisesRegex(WrongModelError, "holds a .* model, not mixer_l16"):
                    resolve_weights(weights, "mixer_l16")
                with self.assertRaisesRegex(WrongModelError, "not mixer_l16"):
                    plan(TrainConfig(weights=weights, model="mixer_l16"))

    def test_a_checkpoint_file_needs_its_model_named(self):
        path = os.path.join(self.get_temp_dir(), "bare.weights.h5")
        self.model.save_weights(path)
        with self.assertRaisesRegex(ValueError, "model of weights=.*bare.weights.h5.* is not known"):
            resolve_weights(path)
        resolved = resolve_weights(path, "mixer_t4")
        self.assertEqual((resolved.model, resolved.weights, resolved.preprocessing), ("mixer_t4", path, None))
        # A training run falls back to its default model.
        self.assertEqual(plan(TrainConfig(weights=path)).model, "mixer_t4")

    def test_a_tag_names_what_its_weights_need(self):
        resolved = resolve_weights("imagenet1k", "mixer_b16")
        self.assertEqual(resolved.weights, "mixer_b16.imagenet1k")
        self.assertEqual(
            resolved.extras, {"gelu_approximate": True, "token_mixing_grid": (14, 14)}
        )
        self.assertEqual((resolved.classes, resolved.arguments["input_shape"]), (1000, (224, 224, 3)))
