import numpy as np
import tensorflow as tf

from keras_mlp.segmentation.data import SegmentationSplit
from keras_mlp.segmentation.pipeline import make_dataset
from tests.testing import TestCase


def striped_split(count=8, size=(20, 30)):
    """Images whose grey level is 60 + 30 * the label of each column's stripe."""
    labels = np.tile((np.arange(size[1]) // 5).astype("uint8"), (count, size[0], 1))
    images = np.repeat((60 + labels * 30)[..., None], 3, axis=-1).astype("uint8")
    return SegmentationSplit(tf.data.Dataset.from_tensor_slices((images, labels)), count, None)


class SegmentationPipelineTest(TestCase):
    def test_training_augmentation_moves_image_and_labels_together(self):
        batches = make_dataset(striped_split(), True, image_size=16, batch_size=8, mean=(0, 0, 0), std=(1, 1, 1))
        images, labels = next(iter(batches))
        self.assertEqual(images.shape, (8, 16, 16, 3))
        labels, images = labels.numpy(), images.numpy()
        # Rescaled, cropped and flipped alike: in every image, brighter
        # stripes keep higher labels (jitter changes levels, not their order).
        for image, label in zip(images, labels):
            present = [k for k in np.unique(label) if k != 255]
            means = [image[..., 0][label == k].mean() for k in present]
            self.assertGreater(len(present), 1)
            self.assertTrue(np.all(np.diff(means) > 0), (present, means))
        # Padding after downscaling is ignored, never background.
        self.assertIn(255, labels)

    def test_evaluation_resizes_whole(self):
        batches = make_dataset(striped_split(count=3), False, image_size=10, batch_size=2, mean=(0.5,) * 3, std=(0.5,) * 3)
        images, labels = next(iter(batches))
        self.assertEqual(labels.shape, (2, 10, 10))
        self.assertAllEqual(labels[0, 0], np.arange(30)[1::3] // 5)
        self.assertAllClose(images[0, 0, 0], [60 / 127.5 - 1] * 3)
