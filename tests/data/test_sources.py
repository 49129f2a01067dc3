"""Dataset sources: folder splits that cannot mislabel or evaluate on training images,
and tfds names that fail fast offline."""

import os

import tensorflow_datasets as tfds

from keras_mlp.data import load_dataset
from keras_mlp.data.sources import dataset_id, eval_split_name
from tests.data.folders import image_folder
from tests.testing import TestCase


class FolderTest(TestCase):
    def folder(self, layout, name="images"):
        return image_folder(os.path.join(self.get_temp_dir(), self.id().rsplit(".", 1)[-1], name), layout)

    def test_split_missing_a_class_is_refused_not_relabelled(self):
        root = self.folder({"train/cat": 2, "train/dog": 2, "train/emu": 2, "test/cat": 1, "test/emu": 1})
        with self.assertRaisesRegex(ValueError, r"other class folders than the training split: missing \['dog'\], extra \[\]"):
            load_dataset(root, "test")
        self.assertEqual(load_dataset(root, "train").info.class_names, ["cat", "dog", "emu"])

    def test_labels_of_every_split_follow_the_training_classes(self):
        root = self.folder({"train/cat": 2, "train/dog": 2, "test/cat": 1, "test/dog": 1})
        test = load_dataset(root, "test")
        self.assertEqual(test.info.class_names, ["cat", "dog"])
        labels = [int(test.load_fn(i)[1]) for i in range(test.info.num_examples)]
        self.assertEqual(labels, [0, 1])

    def test_no_evaluation_split_without_test_folder_or_holdout(self):
        flat = self.folder({"cat": 3, "dog": 3})
        self.assertEqual(load_dataset(flat, "train").info.num_examples, 6)  # training alone is fine
        with self.assertRaisesRegex(ValueError, "has no train/ folder, so it has no 'validation' split.*--holdout_fraction"):
            load_dataset(flat, eval_split_name(flat))

    def test_missing_split_names_the_folder(self):
        root = self.folder({"train/cat": 1, "train/dog": 1})
        with self.assertRaisesRegex(ValueError, r"has no test/ folder \(it has \['train'\]\)"):
            load_dataset(root, "test")

    def test_empty_class_folder_and_single_class_are_errors(self):
        root = self.folder({"train/cat": 2, "train/dog": 0, "test/cat": 1, "test/dog": 1})
        with self.assertRaisesRegex(ValueError, "class folder '.*train/dog' holds no readable images"):
            load_dataset(root, "train")
        single = self.folder({"train/cat": 2}, name="single")
        with self.assertRaisesRegex(ValueError, "a single class folder \\('cat'\\)"):
            load_dataset(single, "train")

    def test_held_out_fraction_is_disjoint_stratified_and_reproducible(self):
        flat = self.folder({"cat": 10, "dog": 10})
        train = load_dataset(flat, "train", holdout_fraction=0.2, seed=3)
        held = load_dataset(flat, "validation", holdout_fraction=0.2, seed=3)
        self.assertEqual((train.info.num_examples, held.info.num_examples), (16, 4))
        files = lambda split: {  # noqa: E731
            split.load_fn(i)[0].numpy().tobytes() + bytes([int(split.load_fn(i)[1])])
            for i in range(split.info.num_examples)
        }
        self.assertFalse(files(train) & files(held))
        self.assertEqual(sorted(int(held.load_fn(i)[1]) for i in range(4)), [0, 0, 1, 1])
        again = load_dataset(flat, "validation", holdout_fraction=0.2, seed=3)
        self.assertEqual(files(again), files(held))
        with self.assertRaisesRegex(ValueError, "holds out images of a folder dataset"):
            load_dataset("digits", "test", holdout_fraction=0.2)


    def test_the_embedded_digits_win_over_a_folder_named_digits(self):
        root = self.folder({"0": 1, "1": 1}, name="digits")
        cwd = os.getcwd()
        try:
            os.chdir(os.path.dirname(root))
            for name in ("digits", "digits/"):
                self.assertEqual(dataset_id(name), "digits")
                self.assertEqual(eval_split_name(name), "test")
                self.assertEqual(load_dataset(name, "test").info.num_examples, 360)
                with self.assertRaisesRegex(ValueError, "holds out images of a folder dataset"):
                    load_dataset(name, "test", holdout_fraction=0.5)
            # The folder, by a path.
            self.assertEqual(dataset_id("./digits"), root)
            self.assertEqual(load_dataset("./digits", "train").info.num_examples, 2)
        finally:
            os.chdir(cwd)
        self.assertEqual(dataset_id(root), root)
        self.assertEqual(dataset_id(root + "/"), root)

    def test_a_trailing_slash_changes_nothing(self):
        root = self.folder({"a": 2, "b": 2})
        self.assertEqual(dataset_id(root + "/"), dataset_id(root))
        self.assertEqual(eval_split_name(root + "/"), eval_split_name(root))
        self.assertEqual(load_dataset(root + "/", "train").info.num_examples, 4)


class TfdsTest(TestCase):
    def test_unprepared_dataset_fails_fast_offline(self):
        data_dir = os.path.join(self.get_temp_dir(), "empty_tfds")
        with self.assertRaisesRegex(ValueError, "'cifar10' is not prepared in .*empty_tfds, and there is no folder named 'cifar10'.*--download"):
            load_dataset("cifar10", "train", data_dir=data_dir)

    def test_mistyped_name_is_neither_folder_nor_tfds(self):
        with self.assertRaisesRegex(ValueError, "'cifar1O' is neither a folder .* nor a tensorflow-datasets name"):
            load_dataset("cifar1O", "train")
        with self.assertRaisesRegex(ValueError, "No such dataset folder: '.*data/flowerz'"):
            load_dataset("data/flowerz", "train")

    def test_prepared_data_loads(self):
        with tfds.testing.mock_data(num_examples=4):
            self.assertEqual(load_dataset("cifar10", "train").info.num_examples, 4)
            self.assertEqual(load_dataset("cifar10/", "train").info.num_examples, 4)
        self.assertEqual(dataset_id("cifar10/"), "cifar10")
