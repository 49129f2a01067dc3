"""Segmentation data: `(image, mask)` splits and their input pipeline.

A split is a `tf.data.Dataset` of uint8 RGB images `(H, W, 3)` and uint8
label maps `(H, W)`: 0..classes-1, `IGNORE_INDEX` for pixels no loss or
metric counts. Sources:

- `"digits"` (embedded, offline): scikit-learn's handwritten digits pasted at
  random places and scales on a dark canvas; label = digit + 1 on its
  strokes, 0 elsewhere (11 classes).
- `"scene_parse150"` (ADE20K through tensorflow-datasets): 150 classes;
  label 0 ("other") is ignored and k becomes k - 1, as mmsegmentation's
  `reduce_zero_label`.
- `"oxford_iiit_pet"` (tensorflow-datasets trimaps): 1 pet -> 1,
  2 background -> 0, 3 the uncertain border -> ignored (2 classes).
- a folder: `<split>/images/<name>.<jpg|png|...>` beside
  `<split>/labels/<name>.png` (one label per pixel, 255 ignored); every pair
  is checked before training.
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from keras_mlp.data import embedded
from keras_mlp.data.folder import IMAGE_EXTENSIONS
from keras_mlp.data.prepared_tfds import load_prepared

IGNORE_INDEX = 255
TFDS_DATASETS = ("scene_parse150", "oxford_iiit_pet")
# The digits' canvases: how many per split, and the digits' sides on them
# as fractions of the canvas side.
DIGITS_CANVASES = {"train": 2000, "test": 300}
DIGIT_SCALES = (0.3, 0.6)


@dataclasses.dataclass
class SegmentationSplit:
    dataset: tf.data.Dataset
    num_examples: int
    class_names: list


def load_split(name, split, canvas_size=64, data_dir=None, download=False, seed=0, classes=None):
    """A `SegmentationSplit` of `name` (see the module docstring).

    `canvas_size` is the side of the digits' canvases; `seed` fixes them.
    A folder's label maps are checked against `classes`, which defaults to
    its largest label + 1.
    """
    if name == "digits":
        images, masks = digit_scenes(split, canvas_size, seed)
        return SegmentationSplit(
            tf.data.Dataset.from_tensor_slices((images, masks)), len(images),
            ["background"] + embedded.DIGITS_CLASSES,
        )
    if name in TFDS_DATASETS:
        return _tfds(name, split, data_dir, download)
    if os.path.isdir(name):
        return _folder(name, split, classes)
    raise ValueError(
        f"--dataset={name!r} is none of 'digits', {', '.join(map(repr, TFDS_DATASETS))} "
        f"or a folder (no directory {os.path.abspath(name)!r})."
    )


def eval_split_name(name):
    if os.path.isdir(name) and not os.path.isdir(os.path.join(name, "test")):
        return "validation"
    return "test"


def digit_scenes(split, size, seed=0):
    """`(images (n, size, size, 3) uint8, masks (n, size, size) uint8)`.

    One or two digits of `split` per canvas, each resized to a random side
    in `DIGIT_SCALES` of the canvas, in a random colour, at a random place
    (a later digit covers an earlier one); a stroke is a pixel above a
    fifth of the digit's maximum.
    """
    digits, labels = embedded.load_digits(seed=0)[split]
    rng = np.random.RandomState([seed, {"train": 0, "test": 1}[split]])
    count = DIGITS_CANVASES[split]
    images = np.zeros((count, size, size, 3), "float32")
    masks = np.zeros((count, size, size), "uint8")
    for n in range(count):
        for _ in range(rng.randint(1, 3)):
            index = rng.randint(len(digits))
            side = rng.randint(int(DIGIT_SCALES[0] * size), int(DIGIT_SCALES[1] * size) + 1)
            glyph = tf.image.resize(digits[index, :, :, :1].astype("float32"), (side, side)).numpy()[..., 0]
            row, col = rng.randint(0, size - side + 1, size=2)
            stroke = glyph > 0.2 * glyph.max()
            colour = rng.uniform(0.4, 1.0, size=3)
            region = images[n, row : row + side, col : col + side]
            region[stroke] = glyph[stroke, None] / 255.0 * colour
            masks[n, row : row + side, col : col + side][stroke] = labels[index] + 1
    noise = rng.uniform(0, 0.15, size=images.shape)
    return np.round(np.clip(images + noise, 0, 1) * 255).astype("uint8"), masks


def _tfds(name, split, data_dir, download):
    dataset, info = load_prepared(name, split, data_dir, download)
    if name == "scene_parse150":
        mask_key, classes = "annotation", [f"class_{i}" for i in range(1, 151)]
    else:
        mask_key, classes = "segmentation_mask", ["background", "pet"]
    num_examples = int(dataset.cardinality())
    if num_examples < 0:
        num_examples = info.splits[split].num_examples
    mapping = tf.constant(label_mapping(name), "uint8")
    dataset = dataset.map(
        lambda example: (
            _rgb(example["image"]),
            tf.gather(mapping, tf.cast(example[mask_key][..., 0], "int32")),
        ),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return SegmentationSplit(dataset, num_examples, classes)


def label_mapping(name):
    """`(256,)` table from a tfds dataset's stored labels to training labels."""
    table = np.full(256, IGNORE_INDEX, "uint8")
    if name == "scene_parse150":
        table[1:151] = np.arange(150)  # reduce_zero_label: 0 ignored, k -> k - 1
    else:
        table[1], table[2] = 1, 0  # pet, background; 3 (border) stays ignored
    return table


def _rgb(image):
    return tf.image.grayscale_to_rgb(image) if image.shape[-1] == 1 else image


def folder_pairs(root, split):
    """`[(image path, label path)]` of `<root>/<split>/images|labels`; an
    image without a label map (or the reverse) is an error naming it."""
    images_dir, labels_dir = (os.path.join(root, split, d) for d in ("images", "labels"))
    for directory in (images_dir, labels_dir):
        if not os.path.isdir(directory):
            raise ValueError(
                f"--dataset={root}: no folder {directory}. A segmentation folder holds "
                "<split>/images/<name>.jpg|png and <split>/labels/<name>.png."
            )
    images = {os.path.splitext(f)[0]: f for f in sorted(os.listdir(images_dir)) if f.lower().endswith(IMAGE_EXTENSIONS)}
    labels = {os.path.splitext(f)[0]: f for f in sorted(os.listdir(labels_dir)) if f.lower().endswith(".png")}
    for stem in sorted(set(images) ^ set(labels)):
        if stem in images:
            raise ValueError(
                f"{os.path.join(images_dir, images[stem])} has no label map: expected "
                f"{os.path.join(labels_dir, stem + '.png')}."
            )
        raise ValueError(f"{os.path.join(labels_dir, labels[stem])} has no image in {images_dir}.")
    if not images:
        raise ValueError(f"--dataset={root}: {images_dir} holds no images.")
    return [(os.path.join(images_dir, images[s]), os.path.join(labels_dir, labels[s])) for s in sorted(images)]


def check_folder(pairs, classes):
    """Every label map matches its image's size and holds labels below
    `classes` or `IGNORE_INDEX`; raises naming the first file that does not.

    Returns the largest label found (so `classes` can default from it).
    """
    from PIL import Image

    largest = 0
    for image_path, label_path in pairs:
        with Image.open(image_path) as image:
            size = image.size
        with Image.open(label_path) as label:
            if label.mode not in ("L", "P", "I;16", "I"):
                raise ValueError(f"{label_path} is a {label.mode} image: a label map is single-channel (one label per pixel).")
            values = np.asarray(label)
        if values.shape[::-1] != size:
            raise ValueError(
                f"{label_path} is {values.shape[1]}x{values.shape[0]} but its image "
                f"{image_path} is {size[0]}x{size[1]}: a label map must match its image."
            )
        labels = np.unique(values)
        labels = labels[labels != IGNORE_INDEX]
        if labels.size and classes is not None and labels.max() >= classes:
            raise ValueError(
                f"{label_path} holds label {int(labels.max())}, not below --classes={classes} "
                f"(labels are 0..{classes - 1}, {IGNORE_INDEX} ignored)."
            )
        largest = max(largest, int(labels.max()) if labels.size else 0)
    return largest


def _folder(root, split, classes):
    pairs = folder_pairs(root, split)
    classes = classes or check_folder(pairs, classes) + 1
    check_folder(pairs, classes)
    images, labels = (list(column) for column in zip(*pairs))

    def load(image_path, label_path):
        image = tf.io.decode_image(tf.io.read_file(image_path), channels=3, expand_animations=False)
        label = tf.io.decode_png(tf.io.read_file(label_path), channels=1)[..., 0]
        return image, label

    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).map(load, num_parallel_calls=tf.data.AUTOTUNE)
    return SegmentationSplit(dataset, len(pairs), [str(i) for i in range(classes)])
