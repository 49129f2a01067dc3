"""Evaluation refuses a model it cannot score: another head size, other classes, another input."""

import os

import keras_mlp
from keras_mlp.classification import evaluate
from keras_mlp.classification.evaluation import summary
from keras_mlp.classification.trainer import normalization
from keras_mlp.data.preprocessing import INCEPTION
from tests.data.folders import image_folder
from tests.saved_models import TINY_METADATA
from tests.testing import TestCase

PREP = TINY_METADATA.preprocessing


class EvaluationTest(TestCase):
    def setUp(self):
        super().setUp()
        self.model = TINY_METADATA.build()  # 3 classes: cat, dog, bird
        self.root = image_folder(os.path.join(self.get_temp_dir(), "pets"),
                                 {f"{s}/{c}": 1 for s in ("train", "test") for c in ("ant", "bird", "cat")})

    def test_head_of_another_size(self):
        with self.assertRaisesRegex(ValueError, "head has 3 classes and digits/test has 10"):
            evaluate(self.model, "digits", "test", PREP)

    def test_other_class_names(self):
        root = self.root
        with self.assertRaisesRegex(ValueError, "0: 'cat' vs 'ant', 1: 'dog' vs 'bird', 2: 'bird' vs 'cat'"):
            evaluate(self.model, root, "test", PREP, class_names=TINY_METADATA.class_names)
        metrics = evaluate(self.model, root, "test", PREP, class_names=["ant", "bird", "cat"])
        self.assertBetween(metrics["top1"], 0.0, 1.0)

    def test_other_input_size(self):
        with self.assertRaisesRegex(ValueError, r"takes \(16, 16\) images, but the preprocessing makes 32x32"):
            evaluate(self.model, self.root, "test", INCEPTION.replace(input_size=32))

    def test_ties_count_against_the_model_and_no_top5_up_to_5_classes(self):
        # An untrained Mixer's head is zeros: all ten classes tie everywhere.
        untrained = keras_mlp.create_model("mixer_t4", input_shape=(16, 16, 3), classes=10)
        prep = normalization("digits").replace(input_size=16)
        metrics = evaluate(untrained, "digits", "test", prep)
        self.assertEqual((metrics["top1"], metrics["top5"]), (0.0, 0.0))
        self.assertEqual(summary(metrics), "top-1 0.0000, top-5 0.0000")

        three = evaluate(self.model, self.root, "test", PREP, class_names=["ant", "bird", "cat"])
        self.assertEqual(sorted(three), ["top1"])
        self.assertEqual(summary(three), f"top-1 {three['top1']:.4f}")
