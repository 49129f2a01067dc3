"""`weights=` resolution: what the constructors' docstrings promise resolves."""

import re

import keras_mlp
from keras_mlp.weights.loading import WeightsSource
from keras_mlp.weights.records import WrongModelError
from tests.testing import TestCase


def documented_tags(constructor):
    """The tags the `weights` argument of a constructor's docstring names."""
    doc = constructor.__doc__
    section = re.search(r"^    weights: (.*?)(?=^    \w+: )", doc, re.S | re.M).group(1)
    named = re.search(r"pretrained\s+tags?\s+\((.*?)\)", section, re.S)
    return re.findall(r'`"([^"`]+)"`', named.group(1)) if named else []


class DocumentedTagsTest(TestCase):
    def test_every_documented_tag_resolves_to_its_record(self):
        documented = {}
        for name in keras_mlp.list_models():
            for tag in documented_tags(keras_mlp.get_constructor(name)):
                # Offline: the record that would be fetched, not the file.
                record = WeightsSource(tag, name).record
                self.assertEqual((record.model, record.tag), (name, tag))
                documented[f"{name}.{tag}"] = record
        # Every published record is named in its constructor's docstring.
        self.assertEqual(sorted(documented), keras_mlp.list_pretrained())

    def test_a_full_name_is_a_tag(self):
        record = WeightsSource("feedforward_tiny.imagenet1k", "feedforward_tiny").record
        self.assertEqual(record.name, "feedforward_tiny.imagenet1k")

    def test_a_full_name_of_another_model_is_refused(self):
        with self.assertRaisesRegex(WrongModelError, "holds a mixer_b16 model, not mixer_l16"):
            WeightsSource("mixer_b16.sam", "mixer_l16")


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
