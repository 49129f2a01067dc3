"""Detection data: images with their boxes and labels, checked before training.

A split holds uint8 RGB images resized to the model's square input and, per
image, `xyxy` pixel boxes on that input and labels 0..classes-1; the
original sizes are kept to report COCO's areas. Sources:

- `"digits"` (embedded, offline): one to three of scikit-learn's handwritten
  digits, 14 to 28 pixels high, pasted apart on a dark canvas; each digit's
  box and class (10 classes).
- a COCO-format folder: `annotations/instances_<split>.json` and the images
  it names under `<split>/` (or the folder itself).
- `"coco/2017"` and `"voc"` through tensorflow-datasets.

Bad input is refused before anything trains, naming the file and the box: a
box outside its image or of zero area, a label not below `classes`, an
image file that is missing; every split's boxes are checked to be `xyxy`
pixels (`check_boxes`: not `[x, y, width, height]`, not normalised). An image without annotations is kept as a
negative example (every anchor learns background), as COCO's training
images without objects are.
"""

import dataclasses
import json
import os

import numpy as np
import tensorflow as tf

from keras_mlp.data import embedded
from keras_mlp.data.prepared_tfds import load_prepared

# Canvases per split of the embedded task, and its digits' heights in pixels
# on a 64-pixel canvas (scaled with the canvas).
DIGITS_CANVASES = {"train": 2000, "test": 300}
DIGIT_SIDES = (14, 28)
DIGITS_CANVAS = 64
TFDS_DATASETS = ("coco/2017", "voc")
# Boxes per image in a batch: padded with label -1, which KerasHub's label
# encoder ignores.
PAD_LABEL = -1


class DetectionDataError(ValueError):
    """A file, box or label of a detection dataset that cannot train."""


@dataclasses.dataclass
class DetectionSplit:
    """Images at the model's input with their boxes.

    Attributes:
        images: uint8 `(n, size, size, 3)`.
        boxes: per image, float32 `(boxes, 4)` `xyxy` pixels on `images`.
        labels: per image, int32 `(boxes,)`.
        sizes: per image, its original `(height, width)`.
        class_names: names of the classes, in label order.
    """

    images: np.ndarray
    boxes: list
    labels: list
    sizes: list
    class_names: list

    def __post_init__(self):
        check_boxes(self.boxes, self.images.shape[1:3])

    @property
    def num_examples(self):
        return len(self.images)


def check_boxes(boxes, image_shape):
    """Refuses boxes that are not `xyxy` pixels on images of `image_shape`
    `(height, width)`, with the first wrong box and the likely mistake:
    `[x, y, width, height]` boxes, normalised `[0, 1]` ones, boxes past the
    image.

    Args:
        boxes: per image, `(boxes, 4)` `[x_min, y_min, x_max, y_max]`.
        image_shape: `(height, width)` of every image.
    """
    height, width = image_shape
    limits = np.array([width, height, width, height], "float32")
    # Resizing scales boxes in float32: a box on the border may pass it by rounding.
    slack = 1e-3 * limits
    for n, image_boxes in enumerate(boxes):
        image_boxes = np.asarray(image_boxes, "float32")
        if image_boxes.size and (image_boxes.ndim != 2 or image_boxes.shape[1] != 4):
            raise DetectionDataError(f"Boxes of image {n} have shape {image_boxes.shape}: expected (boxes, 4), xyxy pixels.")
        for box in image_boxes.reshape(-1, 4):
            if box[2] <= box[0] or box[3] <= box[1]:
                raise DetectionDataError(
                    f"Box {box.tolist()} of image {n} has x_max <= x_min or y_max <= y_min: boxes are "
                    "[x_min, y_min, x_max, y_max] pixels; convert [x, y, width, height] boxes to "
                    "[x, y, x + width, y + height]."
                )
            if (box < -slack).any() or (box > limits + slack).any():
                raise DetectionDataError(
                    f"Box {box.tolist()} of image {n} lies outside the {width}x{height} image: boxes are "
                    "[x_min, y_min, x_max, y_max] pixels on it; clip boxes to the image, or convert "
                    "[x, y, width, height] boxes to [x, y, x + width, y + height]."
                )
    coordinates = np.concatenate([np.asarray(b, "float32").reshape(-1) for b in boxes] + [np.zeros(0, "float32")])
    if coordinates.size and coordinates.max() <= 1.0 < min(height, width):
        raise DetectionDataError(
            f"Every box lies within [0, 1] on {width}x{height} images: boxes look normalised, and "
            "xyxy pixels are expected; multiply x by the width and y by the height."
        )


def load_split(name, split, image_size, data_dir=None, download=False, seed=0, classes=None):
    """The `DetectionSplit` of `name` (see the module docstring)."""
    if name == "digits":
        return digit_canvases(split, image_size, seed)
    if name in TFDS_DATASETS:
        return _tfds(name, split, image_size, data_dir, download)
    if os.path.isdir(name):
        return coco_folder(name, split, image_size, classes)
    raise ValueError(
        f"--dataset={name!r} is none of 'digits', {', '.join(map(repr, TFDS_DATASETS))} "
        f"or a COCO-format folder (no directory {os.path.abspath(name)!r})."
    )


def eval_split_name(name):
    """`"test"` for the digits, `"validation"` for tfds, else `"val2017"`'s kind:
    the folder's annotation file that is not the training one."""
    if name == "digits":
        return "test"
    if name in TFDS_DATASETS:
        return "validation"
    found = sorted(f[len("instances_"):-len(".json")] for f in os.listdir(os.path.join(name, "annotations"))
                   if f.startswith("instances_") and f.endswith(".json"))
    others = [split for split in found if "train" not in split]
    if not others:
        raise DetectionDataError(f"{name}/annotations holds no instances_<split>.json besides the training one: {found}")
    return others[0]


def digit_canvases(split, size, seed=0):
    """One to three digits of `split` per canvas, apart, with tight boxes."""
    digits, labels = embedded.load_digits(seed=0)[split]
    rng = np.random.RandomState([seed, {"train": 0, "test": 1}[split]])
    count = DIGITS_CANVASES[split]
    low, high = (round(side * size / DIGITS_CANVAS) for side in DIGIT_SIDES)
    images = np.zeros((count, size, size, 3), "float32")
    all_boxes, all_labels = [], []
    for n in range(count):
        boxes, classes = [], []
        for _ in range(rng.randint(1, 4)):
            index = rng.randint(len(digits))
            side = rng.randint(low, high + 1)
            glyph = tf.image.resize(digits[index, :, :, :1].astype("float32"), (side, side)).numpy()[..., 0]
            stroke = glyph > 0.2 * glyph.max()
            rows, cols = np.nonzero(stroke)
            # A place whose box overlaps no other digit's; a canvas too full
            # for one keeps the digits it has.
            for _ in range(20):
                row, col = rng.randint(0, size - side + 1, size=2)
                box = [col + cols.min(), row + rows.min(), col + cols.max() + 1, row + rows.max() + 1]
                if all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1] for b in boxes):
                    break
            else:
                continue
            colour = rng.uniform(0.4, 1.0, size=3)
            region = images[n, row : row + side, col : col + side]
            region[stroke] = glyph[stroke, None] / 255.0 * colour
            boxes.append(box)
            classes.append(labels[index])
        all_boxes.append(np.array(boxes, "float32"))
        all_labels.append(np.array(classes, "int32"))
    noise = rng.uniform(0, 0.15, size=images.shape)
    images = np.round(np.clip(images + noise, 0, 1) * 255).astype("uint8")
    return DetectionSplit(images, all_boxes, all_labels, [(size, size)] * count, list(embedded.DIGITS_CLASSES))


def coco_folder(folder, split, image_size, classes=None):
    """A COCO-format folder's `split`: `annotations/instances_<split>.json`
    naming images under `<split>/` or the folder. Categories become labels
    0..n-1 in id order; every file and box is checked first."""
    path = os.path.join(folder, "annotations", f"instances_{split}.json")
    if not os.path.isfile(path):
        raise DetectionDataError(f"{path} is missing: a COCO-format folder holds annotations/instances_<split>.json.")
    with open(path, encoding="utf-8") as f:
        coco = json.load(f)
    categories = sorted(coco.get("categories", []), key=lambda c: c["id"])
    label_of = {c["id"]: n for n, c in enumerate(categories)}
    classes = classes or len(categories)
    image_dir = os.path.join(folder, split) if os.path.isdir(os.path.join(folder, split)) else folder
    annotations = {}
    for annotation in coco.get("annotations", []):
        annotations.setdefault(annotation["image_id"], []).append(annotation)
    records = []
    for image in coco.get("images", []):
        file = os.path.join(image_dir, image["file_name"])
        if not os.path.isfile(file):
            raise DetectionDataError(f"{path}: image {image['id']} names {file}, which does not exist.")
        height, width = image["height"], image["width"]
        boxes, labels = [], []
        for annotation in annotations.get(image["id"], []):
            x, y, w, h = annotation["bbox"]
            where = f"{path}: annotation {annotation.get('id')} of {image['file_name']}, bbox {annotation['bbox']}"
            if w <= 0 or h <= 0:
                raise DetectionDataError(f"{where} has zero area. Remove it or give it a width and height.")
            if x < 0 or y < 0 or x + w > width or y + h > height:
                raise DetectionDataError(
                    f"{where} lies outside the {width}x{height} image: COCO boxes are [x, y, width, height] in pixels."
                )
            label = label_of.get(annotation["category_id"])
            if label is None or label >= classes:
                raise DetectionDataError(
                    f"{where} has category_id {annotation['category_id']}, which is not among the first "
                    f"{classes} of the file's categories."
                )
            boxes.append([x, y, x + w, y + h])
            labels.append(label)
        records.append((file, (height, width), boxes, labels))
    return _resized(records, image_size, [c["name"] for c in categories][:classes], _read_file)


def _read_file(file):
    return tf.io.decode_image(tf.io.read_file(file), channels=3, expand_animations=False).numpy()


def _resized(records, size, class_names, read):
    """A `DetectionSplit` of `(source, (height, width), boxes, labels)`
    records, each image read by `read(source)` and resized to `size`."""
    images = np.zeros((len(records), size, size, 3), "uint8")
    boxes, labels, sizes = [], [], []
    for n, (source, (height, width), image_boxes, image_labels) in enumerate(records):
        images[n] = resize_image(read(source), size)
        scale = np.array([size / width, size / height] * 2, "float32")
        boxes.append(np.array(image_boxes, "float32").reshape(-1, 4) * scale)
        labels.append(np.array(image_labels, "int32"))
        sizes.append((height, width))
    return DetectionSplit(images, boxes, labels, sizes, class_names)


def resize_image(image, size):
    """uint8 `image` resized to `size x size` (bilinear), as the model sees it."""
    return np.round(tf.image.resize(image, (size, size)).numpy()).clip(0, 255).astype("uint8")


def to_image_size(boxes, size, height, width):
    """`xyxy` `boxes` on a `size x size` model input scaled back to a
    `height x width` image."""
    return np.asarray(boxes, "float32").reshape(-1, 4) * np.array([width / size, height / size] * 2, "float32")


def _tfds(name, split, image_size, data_dir, download):
    dataset, info = load_prepared(name, split, data_dir, download)
    records = []
    for example in dataset.as_numpy_iterator():
        height, width = example["image"].shape[:2]
        # tfds stores boxes as [y_min, x_min, y_max, x_max] fractions.
        y0, x0, y1, x1 = np.asarray(example["objects"]["bbox"], "float32").reshape(-1, 4).T
        boxes = np.stack([x0 * width, y0 * height, x1 * width, y1 * height], axis=-1)
        records.append((example["image"], (height, width), boxes, example["objects"]["label"]))
    class_names = info.features["objects"]["label"].names
    return _resized(records, image_size, class_names, lambda image: image)


def make_dataset(split, training, batch_size, mean, std, seed=0):
    """Batches of `(normalized images, {"boxes", "labels"})`, the boxes
    padded with label `PAD_LABEL` to the split's most per image.

    Every batch is full: KerasHub's NMS needs a known batch size, so an
    evaluation split is padded with blank images (after its own, which
    keep their order) and a training split drops its last partial batch.
    """
    most = max([len(b) for b in split.boxes] + [1])
    count = split.num_examples + (0 if training else -split.num_examples % batch_size)
    images = np.zeros((count, *split.images.shape[1:]), "uint8")
    images[: split.num_examples] = split.images
    boxes = np.zeros((count, most, 4), "float32")
    labels = np.full((count, most), PAD_LABEL, "float32")
    for n, (image_boxes, image_labels) in enumerate(zip(split.boxes, split.labels)):
        boxes[n, : len(image_boxes)] = image_boxes
        labels[n, : len(image_labels)] = image_labels
    dataset = tf.data.Dataset.from_tensor_slices((images, {"boxes": boxes, "labels": labels}))
    if training:
        dataset = dataset.shuffle(split.num_examples, seed=seed, reshuffle_each_iteration=True)
    mean, std = tf.constant(mean, "float32"), tf.constant(std, "float32")
    dataset = dataset.map(lambda image, target: ((tf.cast(image, "float32") / 255.0 - mean) / std, target))
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
