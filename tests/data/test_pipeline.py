"""Input pipelines on mocked tfds data, written folders and the digits."""

import os

import numpy as np
import skimage.data
import timm.data  # noqa: F401  (before TensorFlow, see conftest)
from PIL import Image
import tensorflow as tf
import tensorflow_datasets as tfds
from absl.testing import parameterized

from keras_mlp.data import Augmentation, CorruptImageError, Preprocessing, load_dataset, make_dataset
from keras_mlp.data.pipeline import EpochSeed, eval_crop
from tests.data.folders import write_png
from tests.testing import TestCase

PREP = Preprocessing(crop_pct=1.0, interpolation="bilinear", input_size=16)
FULL = Augmentation(
    random_resized_crop=(0.08, 1.0), horizontal_flip=True, randaugment_ops=2,
    mixup_alpha=0.8, cutmix_alpha=1.0, random_erasing=0.25,
)


class PipelineTest(TestCase, parameterized.TestCase):
    def batches(self, split, training, augmentation=Augmentation(), **kwargs):
        ds = make_dataset(
            split, training, PREP, batch_size=4, num_classes=split.info.num_classes,
            augmentation=augmentation, **kwargs,
        )
        return list(ds.as_numpy_iterator())

    @parameterized.parameters(Augmentation(), FULL)
    def test_tfds_mock_data(self, augmentation):
        with tfds.testing.mock_data(num_examples=12):
            split = load_dataset("cifar10", "train")
        self.assertEqual(split.info.num_classes, 10)
        images, labels = self.batches(split, True, augmentation)[0]
        self.assertEqual(images.shape, (4, 16, 16, 3))
        self.assertEqual(labels.shape, (4, 10))
        self.assertAllClose(labels.sum(-1), np.ones(4), atol=1e-5)
        self.assertBetween(images.min(), -1.0 - 1e-5, 1.0)
        self.assertLessEqual(images.max(), 1.0 + 1e-5)

    def test_eval_keeps_every_example_in_order(self):
        split = load_dataset("digits", "test")
        batches = self.batches(split, False)
        self.assertEqual(sum(len(x) for x, _ in batches), split.info.num_examples)
        again = self.batches(split, False)
        self.assertAllEqual(batches[0][0], again[0][0])

    def test_epoch_order_depends_only_on_seed_and_epoch(self):
        split = load_dataset("digits", "train")

        def first_labels(epoch):
            seed = EpochSeed()
            seed.on_epoch_begin(epoch)
            ds = make_dataset(split, True, PREP, 8, 10, seed=3, epoch_seed=seed)
            return next(iter(ds))[1].numpy()

        self.assertAllEqual(first_labels(2), first_labels(2))
        self.assertNotAllEqual(first_labels(1), first_labels(2))

    def test_image_folder(self):
        root = self.get_temp_dir()
        for split in ("train", "test"):
            for label, name in enumerate(("cat", "dog")):
                os.makedirs(os.path.join(root, split, name), exist_ok=True)
                for i in range(3):
                    write_png(os.path.join(root, split, name, f"{i}.png"), 60 * label)
        split = load_dataset(root, "train")
        self.assertEqual(split.info.class_names, ["cat", "dog"])
        batches = self.batches(split, False)
        self.assertEqual(sum(len(y) for _, y in batches), 6)

    def test_corrupt_image_is_named_or_skipped(self):
        root = os.path.join(self.get_temp_dir(), "corrupt")
        for name in ("a", "b"):
            os.makedirs(os.path.join(root, name))
            write_png(os.path.join(root, name, "good.png"), 10)
        bad = os.path.join(root, "a", "bad.jpg")
        with open(bad, "wb") as f:
            f.write(b"this is not an image")
        with self.assertRaisesRegex(CorruptImageError, "bad.jpg"):
            load_dataset(root, "train")
        split = load_dataset(root, "train", skip_corrupt=True)
        self.assertEqual(split.info.num_examples, 2)

    def test_unreadable_file_is_named_or_skipped(self):
        # A link to nothing: unreadable even for root, as chmod 000 is not.
        root = os.path.join(self.get_temp_dir(), "unreadable")
        for name in ("a", "b"):
            os.makedirs(os.path.join(root, name))
            write_png(os.path.join(root, name, "good.png"), 10)
        os.symlink(os.path.join(root, "gone.png"), os.path.join(root, "a", "link.png"))
        with self.assertRaisesRegex(CorruptImageError, "link.png cannot be read .*--skip_corrupt"):
            load_dataset(root, "train")
        split = load_dataset(root, "train", skip_corrupt=True)
        self.assertEqual(split.info.num_examples, 2)

    def test_truncated_image_with_a_valid_header_is_named(self):
        root = os.path.join(self.get_temp_dir(), "truncated")
        os.makedirs(os.path.join(root, "a"))
        os.makedirs(os.path.join(root, "b"))
        write_png(os.path.join(root, "b", "other.png"), 10)
        pixels = np.random.default_rng(0).integers(0, 255, (32, 32, 3), "uint8")
        jpeg = tf.io.encode_jpeg(pixels).numpy()
        with open(os.path.join(root, "a", "whole.jpg"), "wb") as f:
            f.write(jpeg)
        # Bytes after the image, as some cameras write: decodable, so kept.
        with open(os.path.join(root, "a", "trailer.jpg"), "wb") as f:
            f.write(jpeg + b"\0" * 2000)
        with open(os.path.join(root, "a", "cut.jpg"), "wb") as f:
            f.write(jpeg[: len(jpeg) // 2])
        with self.assertRaisesRegex(CorruptImageError, "cut.jpg"):
            load_dataset(root, "train")
        split = load_dataset(root, "train", skip_corrupt=True)
        self.assertEqual(split.info.num_examples, 3)
        self.assertEqual(len(self.batches(split, False)[0][0]), 3)

    def test_unknown_digits_split(self):
        with self.assertRaisesRegex(ValueError, "digits has splits"):
            load_dataset("digits", "validation")


class EvalCropTest(TestCase, parameterized.TestCase):
    """The published accuracies were measured through timm's transform (PIL)."""

    @parameterized.parameters(
        ("astronaut", 224, 0.875),  # 512x512 down
        ("coffee", 224, 0.9),  # 400x600 down, odd crop offsets
        ("rocket", 32, 0.875),  # 427x640 down 13x
        ("chelsea", 384, 1.0),  # 300x451 up
    )
    def test_matches_timms_evaluation_transform(self, name, size, crop_pct):
        image = getattr(skimage.data, name)()
        reference = timm.data.create_transform(
            input_size=(3, size, size), crop_pct=crop_pct, interpolation="bicubic", mean=(0,) * 3, std=(1,) * 3
        )(Image.fromarray(image))
        expected = reference.numpy().transpose(1, 2, 0) * 255
        crop = eval_crop(tf.constant(image), size, crop_pct, "bicubic").numpy()
        self.assertEqual(crop.shape, expected.shape)
        # PIL rounds to uint8: a quarter of a level on average is that alone.
        self.assertLess(np.abs(crop - expected).mean(), 0.5)
        self.assertLess(np.percentile(np.abs(crop - expected), 99), 3)
