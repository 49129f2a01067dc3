"""Detection data: the embedded digits, COCO-format folders, tfds (mocked),
and the errors bad annotations get before anything trains."""

import json
import os
from unittest import mock

import numpy as np
import tensorflow as tf

from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.detection import data
from tests.testing import TestCase


def write_coco_folder(root, annotations, images=(("a.png", 40, 60), ("b.png", 30, 30)), missing=()):
    """A COCO folder with `images` (name, height, width) under train/."""
    os.makedirs(os.path.join(root, "annotations"), exist_ok=True)
    os.makedirs(os.path.join(root, "train"), exist_ok=True)
    for name, height, width in images:
        if name not in missing:
            pixels = np.random.RandomState(0).randint(0, 255, (height, width, 3), dtype=np.uint8)
            tf.io.write_file(os.path.join(root, "train", name), tf.io.encode_png(pixels))
    coco = {
        "images": [{"id": n + 1, "file_name": name, "height": h, "width": w} for n, (name, h, w) in enumerate(images)],
        "annotations": [{"id": n + 1, **a} for n, a in enumerate(annotations)],
        "categories": [{"id": 7, "name": "cat"}, {"id": 3, "name": "dog"}],
    }
    with open(os.path.join(root, "annotations", "instances_train.json"), "w") as f:
        json.dump(coco, f)
    return root


class DigitCanvasesTest(TestCase):
    def test_boxes_are_tight_apart_and_labelled(self):
        split = data.digit_canvases("test", 64)
        self.assertEqual(split.images.shape, (300, 64, 64, 3))
        self.assertEqual(len(split.class_names), 10)
        counts = [len(b) for b in split.boxes]
        self.assertEqual((min(counts), max(counts)), (1, 3))
        noise = round(0.15 * 255)
        for image, boxes, labels in zip(split.images[:50], split.boxes, split.labels):
            self.assertTrue(np.all((labels >= 0) & (labels < 10)))
            outside = np.ones((64, 64), bool)
            for n, (x0, y0, x1, y1) in enumerate(boxes.astype(int)):
                self.assertTrue(0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 64)
                self.assertBetween(y1 - y0, 10, 28)
                self.assertGreater(image[y0:y1, x0:x1].max(), noise, "a box without its digit")
                outside[y0:y1, x0:x1] = False
                for other in boxes[n + 1 :]:
                    self.assertTrue(x1 <= other[0] or other[2] <= x0 or y1 <= other[1] or other[3] <= y0)
            self.assertLessEqual(image[outside].max(), noise, "a stroke outside every box")

    def test_batches_pad_with_the_ignored_label(self):
        split = data.digit_canvases("test", 64)
        images, targets = next(iter(data.make_dataset(split, False, 8, INCEPTION.mean, INCEPTION.std)))
        self.assertEqual(images.shape, (8, 64, 64, 3))
        self.assertEqual(targets["boxes"].shape, (8, 3, 4))
        counts = (targets["labels"].numpy() != data.PAD_LABEL).sum(axis=1)
        self.assertAllEqual(counts, [len(b) for b in split.boxes[:8]])


class CocoFolderTest(TestCase):
    def test_reads_and_resizes(self):
        root = write_coco_folder(self.get_temp_dir(), [
            {"image_id": 1, "category_id": 3, "bbox": [6, 4, 30, 20]},
            {"image_id": 1, "category_id": 7, "bbox": [0, 0, 60, 40]},
        ])
        split = data.load_split(root, "train", 32)
        self.assertEqual(split.class_names, ["dog", "cat"])  # in id order
        self.assertEqual(split.images.shape, (2, 32, 32, 3))
        self.assertAllClose(split.boxes[0], [[3.2, 3.2, 19.2, 19.2], [0, 0, 32, 32]])
        self.assertAllEqual(split.labels[0], [0, 1])
        # An image without annotations stays, as a picture of background.
        self.assertEqual(split.boxes[1].shape, (0, 4))
        self.assertEqual(split.sizes, [(40, 60), (30, 30)])

    def check_refused(self, annotation, message, **kwargs):
        root = write_coco_folder(os.path.join(self.get_temp_dir(), str(len(os.listdir(self.get_temp_dir())))),
                                 [annotation], **kwargs)
        with self.assertRaisesRegex(data.DetectionDataError, message):
            data.load_split(root, "train", 32, classes=kwargs.pop("classes", None))

    def test_bad_annotations_name_the_file_and_box(self):
        self.check_refused({"image_id": 1, "category_id": 3, "bbox": [6, 4, 0, 20]}, r"instances_train.json.*a.png.*\[6, 4, 0, 20\].*zero area")
        self.check_refused({"image_id": 1, "category_id": 3, "bbox": [50, 4, 20, 20]}, r"a.png.*\[50, 4, 20, 20\].*outside the 60x40")
        self.check_refused({"image_id": 2, "category_id": 9, "bbox": [1, 1, 2, 2]}, r"b.png.*category_id 9")
        self.check_refused({"image_id": 1, "category_id": 3, "bbox": [1, 1, 2, 2]}, r"b.png.*does not exist", missing=("b.png",))


class TfdsTest(TestCase):
    def test_tfds_boxes_become_pixels(self):
        example = {
            "image": np.zeros((20, 40, 3), np.uint8),
            "objects": {"bbox": np.array([[0.25, 0.5, 0.75, 1.0]], np.float32), "label": np.array([2])},
        }
        dataset = tf.data.Dataset.from_generator(lambda: iter([example]), output_signature={
            "image": tf.TensorSpec((20, 40, 3), tf.uint8),
            "objects": {"bbox": tf.TensorSpec((None, 4), tf.float32), "label": tf.TensorSpec((None,), tf.int64)},
        })
        info = mock.MagicMock()
        info.features = {"objects": {"label": mock.MagicMock(names=["a", "b", "c"])}}
        with mock.patch("tensorflow_datasets.load", return_value=(dataset, info)) as load:
            split = data.load_split("voc", "train", 16, data_dir="/nowhere")
        self.assertEqual(load.call_args.kwargs["download"], False)
        self.assertAllClose(split.boxes[0], [[8, 4, 16, 12]])
        self.assertAllEqual(split.labels[0], [2])
        self.assertEqual(split.class_names, ["a", "b", "c"])


class EvaluationBatchesTest(TestCase):
    def test_every_batch_is_full_and_holds_every_image(self):
        split = data.digit_canvases("test", 32)
        batches = list(data.make_dataset(split, False, 16, INCEPTION.mean, INCEPTION.std))
        self.assertTrue(all(images.shape[0] == 16 for images, _ in batches))
        self.assertEqual(batches[0][0].shape.as_list()[0], 16)
        self.assertLen(batches, 19)  # 300 images and 4 blank ones
        self.assertEqual(float(tf.reduce_max(batches[-1][1]["labels"][-4:])), data.PAD_LABEL)


class CheckBoxesTest(TestCase):
    def split_with(self, *boxes):
        return data.DetectionSplit(
            np.zeros((len(boxes), 64, 48, 3), np.uint8), [np.array(b, "float32").reshape(-1, 4) for b in boxes],
            [np.zeros(len(b), "int32") for b in boxes], [(64, 48)] * len(boxes), ["digit"],
        )

    def test_xyxy_pixels_pass(self):
        split = self.split_with([[2, 3, 20, 30], [0, 0, 48, 64]], [])
        self.assertEqual(split.num_examples, 2)

    def test_xywh_boxes(self):
        # [x, y, width, height] with width < x: as xyxy, x_max < x_min.
        with self.assertRaisesRegex(data.DetectionDataError, r"Box \[30.0, 3.0, 10.0, 20.0\] of image 1 has x_max <= x_min"
                                    r".*convert \[x, y, width, height\] boxes"):
            self.split_with([[2, 3, 20, 30]], [[30, 3, 10, 20]])

    def test_normalised_boxes(self):
        with self.assertRaisesRegex(data.DetectionDataError, r"within \[0, 1\] on 48x64 images: boxes look normalised"):
            self.split_with([[0.1, 0.2, 0.5, 0.6]], [[0.5, 0.5, 1.0, 1.0]])

    def test_boxes_outside_the_image(self):
        # x_max 50 on a 48-pixel-wide image.
        with self.assertRaisesRegex(data.DetectionDataError, r"Box \[10.0, 10.0, 50.0, 20.0\] of image 0 lies outside the 48x64 image"):
            self.split_with([[10, 10, 50, 20]])
        with self.assertRaisesRegex(data.DetectionDataError, r"lies outside"):
            self.split_with([[-2, 10, 20, 20]])

    def test_wrong_shape(self):
        with self.assertRaisesRegex(data.DetectionDataError, r"Boxes of image 0 have shape \(2, 3\): expected \(boxes, 4\)"):
            data.DetectionSplit(np.zeros((1, 64, 48, 3), np.uint8), [np.ones((2, 3), "float32")], [np.zeros(2, "int32")],
                                [(64, 48)], ["digit"])
