import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from absl.testing import parameterized
from PIL import Image

from keras_mlp.segmentation import data as segmentation
from tests.testing import TestCase

# Stored tfds labels -> the training labels the documentation promises.
STORED = np.array([[0, 1, 2, 3], [150, 151, 255, 7]], "uint8")
EXPECTED = {
    "scene_parse150": np.array([[255, 0, 1, 2], [149, 255, 255, 6]]),
    "oxford_iiit_pet": np.array([[255, 1, 0, 255], [255, 255, 255, 255]]),
}


def mock_examples(mask_key):
    """A `tfds` `as_dataset` returning two examples with the `STORED` mask."""

    def as_dataset(self, *args, **kwargs):
        image = np.full((2, 2, 4, 3), 7, "uint8")
        masks = np.stack([STORED, STORED])[..., None]
        return tf.data.Dataset.from_tensor_slices({"image": image, mask_key: masks})

    return as_dataset


def write_folder(root, split="train", size=(6, 4), label=None, image_size=None, stems=("a", "b")):
    for directory in ("images", "labels"):
        os.makedirs(os.path.join(root, split, directory), exist_ok=True)
    for stem in stems:
        Image.new("RGB", image_size or size, (10, 20, 30)).save(os.path.join(root, split, "images", f"{stem}.png"))
        values = np.zeros(size[::-1], "uint8") if label is None else label
        Image.fromarray(values).save(os.path.join(root, split, "labels", f"{stem}.png"))
    return root


class SegmentationDataTest(TestCase, parameterized.TestCase):
    def test_digit_scenes(self):
        images, masks = segmentation.digit_scenes("test", 32, seed=0)
        self.assertEqual(images.shape, (300, 32, 32, 3))
        self.assertEqual(masks.shape, (300, 32, 32))
        self.assertEqual(set(np.unique(masks)), set(range(11)))
        # Strokes are bright, background only carries faint noise.
        self.assertGreater(images[masks > 0].mean(), 2 * images[masks == 0].mean())
        self.assertTrue(np.all((masks > 0).any(axis=(1, 2))), "a canvas without digits")
        again, _ = segmentation.digit_scenes("test", 32, seed=0)
        self.assertAllEqual(images, again)
        other, _ = segmentation.digit_scenes("test", 32, seed=1)
        self.assertNotAllEqual(images, other)

    @parameterized.parameters(("scene_parse150", "annotation", 150), ("oxford_iiit_pet", "segmentation_mask", 2))
    def test_tfds_label_mapping(self, name, mask_key, classes):
        with tfds.testing.mock_data(as_dataset_fn=mock_examples(mask_key)):
            split = segmentation.load_split(name, "train")
        self.assertLen(split.class_names, classes)
        self.assertEqual(split.num_examples, 2)
        image, mask = next(iter(split.dataset))
        self.assertEqual(image.shape, (2, 4, 3))
        self.assertAllEqual(mask, EXPECTED[name])

    def test_folder(self):
        label = np.array([[0, 1, 2, 255]] * 6, "uint8")
        root = write_folder(self.get_temp_dir() + "/ok", label=label, size=(4, 6))
        split = segmentation.load_split(root, "train")
        self.assertEqual(split.class_names, ["0", "1", "2"])
        image, mask = next(iter(split.dataset))
        self.assertEqual(image.shape, (6, 4, 3))
        self.assertAllEqual(mask, label)
        with self.assertRaisesRegex(ValueError, r"a\.png holds label 2, not below --classes=2"):
            segmentation.load_split(root, "train", classes=2)

    def test_image_without_label_map(self):
        root = write_folder(self.get_temp_dir() + "/missing")
        os.remove(os.path.join(root, "train", "labels", "b.png"))
        with self.assertRaisesRegex(ValueError, r"images/b\.png has no label map: expected .*labels/b\.png"):
            segmentation.load_split(root, "train")

    def test_label_map_without_image(self):
        root = write_folder(self.get_temp_dir() + "/orphan")
        os.remove(os.path.join(root, "train", "images", "a.png"))
        with self.assertRaisesRegex(ValueError, r"labels/a\.png has no image in .*train/images"):
            segmentation.load_split(root, "train")

    def test_colour_label_map(self):
        root = write_folder(self.get_temp_dir() + "/rgb")
        Image.new("RGB", (6, 4)).save(os.path.join(root, "train", "labels", "b.png"))
        with self.assertRaisesRegex(ValueError, r"labels/b\.png is a RGB image: a label map is single-channel"):
            segmentation.load_split(root, "train")

    def test_label_map_of_another_size(self):
        root = write_folder(self.get_temp_dir() + "/size", size=(6, 4), image_size=(8, 4))
        with self.assertRaisesRegex(ValueError, r"labels/a\.png is 6x4 but its image .*a\.png is 8x4"):
            segmentation.load_split(root, "train")

    def test_unknown_dataset(self):
        with self.assertRaisesRegex(ValueError, "--dataset='no_such'"):
            segmentation.load_split("no_such", "train")
