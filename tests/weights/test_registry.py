"""Pretrained records: lookup, download path, digests, preprocessing, labels."""

import dataclasses
import hashlib
import os

import numpy as np
from absl.testing import parameterized

import keras_mlp
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.models import factory
from keras_mlp.weights import records, registry
from keras_mlp.weights.labels import class_names
from tests.testing import TestCase


class RegistryTest(TestCase, parameterized.TestCase):
    def test_every_record_is_complete(self):
        for name in keras_mlp.list_pretrained():
            record = keras_mlp.get_pretrained(name)
            self.assertIn(record.model, keras_mlp.list_models())
            self.assertLen(class_names(record.labels), record.classes)
            self.assertTrue(record.url.startswith("https://"))
            self.assertLen(record.preprocessing.mean, 3)

    def test_every_declared_record_is_registered(self):
        # A record whose model is not among its family's constructors would
        # silently never be registered.
        declared = [record.name for family in factory.families() for record in family.pretrained]
        self.assertCountEqual(set(declared), keras_mlp.list_pretrained())

    def test_a_record_is_registered_once(self):
        record = keras_mlp.get_pretrained("mixer_b16.imagenet1k")
        with self.assertRaisesRegex(ValueError, "'mixer_b16.imagenet1k' listed twice"):
            registry.register_pretrained([record])

    def test_records_carry_the_arguments_their_weights_need(self):
        official = keras_mlp.get_pretrained("mixer_b32.sam").arguments
        self.assertEqual(official, {"gelu_approximate": True, "token_mixing_grid": (7, 7)})
        timm = keras_mlp.get_pretrained("mixer_b16.goog_in21k_ft_in1k").arguments
        self.assertEqual(timm, {"token_mixing_grid": (14, 14)})
        with self.assertRaises(TypeError):  # a shared record cannot be edited
            official["gelu_approximate"] = False

    def test_cache_file_names_are_unique(self):
        names = [keras_mlp.get_pretrained(n).file_name for n in keras_mlp.list_pretrained()]
        self.assertLen(set(names), len(names))

    def test_an_unknown_model_is_named_before_its_tag(self):
        with self.assertRaisesRegex(ValueError, r"Unknown model 'mixer_nope'\..* Available models: \['cyclemlp_"):
            keras_mlp.get_pretrained("mixer_nope", "imagenet1k")
        with self.assertRaisesRegex(ValueError, "Unknown model 'mixer_b61'. Did you mean 'mixer_b16'"):
            keras_mlp.get_pretrained("mixer_b61.imagenet1k")
        with self.assertRaisesRegex(ValueError, "No pretrained weights 'imagenet1k' for model 'repmlp_cifar'"):
            keras_mlp.get_pretrained("repmlp_cifar", "imagenet1k")

    def write_record(self, digest_of=None):
        path = os.path.join(self.get_temp_dir(), "w.npz")
        np.savez(path, x=np.zeros(3))
        with open(digest_of or path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        return records.PretrainedWeights(
            model="mixer_s32", tag="test", url=f"file://{path}", sha256=digest[:8],
            classes=10, labels="imagenet1k", preprocessing=INCEPTION,
        )

    def test_fetch_checks_the_digest(self):
        cache = os.path.join(self.get_temp_dir(), "cache")
        record = self.write_record()
        path = registry.fetch(record, cache_dir=cache)
        self.assertEqual(os.path.dirname(path), os.path.join(cache, "models", "keras_mlp"))

        other = os.path.join(self.get_temp_dir(), "other")
        with open(other, "wb") as f:
            f.write(b"other bytes")
        bad = dataclasses.replace(self.write_record(digest_of=other), tag="bad")
        with self.assertRaisesRegex(ValueError, "corrupt or was replaced.*deleted"):
            registry.fetch(bad, cache_dir=cache)
        self.assertFalse(os.path.exists(os.path.join(cache, "models", "keras_mlp", bad.file_name)))

    def test_preprocess_input(self):
        x = np.array([[[[0, 255, 51]]]], "uint8")
        self.assertAllClose(
            keras_mlp.preprocess_input(x, "mixer_b16.imagenet1k"), [[[[-1.0, 1.0, -0.6]]]]
        )
        self.assertAllClose(
            keras_mlp.preprocess_input(x, "mixer_b16.miil_in21k_ft_in1k"), [[[[0.0, 1.0, 0.2]]]]
        )

    def test_decode_predictions(self):
        preds = np.zeros((1, 1000), "float32")
        preds[0, 281], preds[0, 1] = 0.9, 0.1
        top = keras_mlp.decode_predictions(preds, "mixer_b16.imagenet1k", top=2)
        self.assertEqual(top[0][0], ("n02123045", "tabby", 0.8999999761581421))
        self.assertEqual(top[0][1][:2], ("n01443537", "goldfish"))

    def test_decode_predictions_checks_the_shape(self):
        with self.assertRaisesRegex(ValueError, r"shape \(batch, 21843\)"):
            keras_mlp.decode_predictions(np.zeros((1, 1000)), "mixer_b16.imagenet21k")
