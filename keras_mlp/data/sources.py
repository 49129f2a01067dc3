"""Named datasets: the embedded digits, an image folder, or any tfds name."""

import dataclasses
import os

import tensorflow as tf

from keras_mlp.data import embedded, folder


@dataclasses.dataclass
class DatasetInfo:
    """What the training loop needs to know about a split."""

    num_classes: int
    num_examples: int
    class_names: list


@dataclasses.dataclass
class Split:
    """A streamed `dataset` of `(image, label)`, or a random-access
    `load_fn(index) -> (image, label)` over `info.num_examples` indices.

    Random access (arrays, file lists) lets the pipeline re-shuffle each
    epoch as a function of `(seed, epoch)`, which makes resumed runs exact.
    """

    info: DatasetInfo
    dataset: tf.data.Dataset = None
    load_fn: object = None


def load_dataset(name, split, data_dir=None, skip_corrupt=False, shuffle_files=False):
    """Returns a `Split` of uint8 RGB images and int labels.

    Args:
        name: `"digits"` (embedded, offline), a folder of class sub-folders
            (`<name>/<split>/` is used when it exists), or a
            tensorflow-datasets name such as `"imagenet2012"` or `"cifar10"`.
        split: split name (`"train"`, `"test"`, `"validation"`, ...).
        data_dir: tfds data directory with prepared data.
        skip_corrupt: for folders, skip unreadable images (counted) instead
            of raising an error that names the file.
        shuffle_files: for tfds, shuffle the order of the record files.
    """
    if name == "digits":
        return _digits(split)
    if os.path.isdir(name):
        return _folder(name, split, skip_corrupt)
    return _tfds(name, split, data_dir, shuffle_files)


def _digits(split):
    splits = embedded.load_digits()
    if split not in splits:
        raise ValueError(f"digits has splits {sorted(splits)}. Received: split={split!r}")
    images, labels = splits[split]
    images, labels = tf.constant(images), tf.constant(labels)

    def load(index):
        return images[index], labels[index]

    info = DatasetInfo(10, len(labels), embedded.DIGITS_CLASSES)
    return Split(info, load_fn=load)


def _folder(directory, split, skip_corrupt):
    if os.path.isdir(os.path.join(directory, split)):
        directory = os.path.join(directory, split)
    paths, labels, class_names, skipped = folder.list_image_folder(directory, skip_corrupt)
    if skipped:
        print(f"Skipped {skipped} unreadable image file(s) under {directory}.")
    paths, labels = tf.constant(paths), tf.constant(labels, "int32")

    def load(index):
        data = tf.io.read_file(paths[index])
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        return image, labels[index]

    info = DatasetInfo(len(class_names), len(paths), class_names)
    return Split(info, load_fn=load)


def _tfds(name, split, data_dir, shuffle_files):
    import tensorflow_datasets as tfds

    dataset, info = tfds.load(
        name,
        split=split,
        data_dir=data_dir,
        as_supervised=True,
        with_info=True,
        shuffle_files=shuffle_files,
    )
    label = info.features["label"]
    num_examples = int(dataset.cardinality())
    if num_examples < 0:
        num_examples = info.splits[split].num_examples
    dataset = dataset.map(
        lambda image, y: (_to_rgb(image), tf.cast(y, "int32")),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    info = DatasetInfo(
        label.num_classes,
        num_examples,
        list(label.names),
    )
    return Split(info, dataset=dataset)


def _to_rgb(image):
    if image.shape[-1] == 1:
        return tf.image.grayscale_to_rgb(image)
    return image


def eval_split_name(name, data_dir=None):
    """`"validation"` where the dataset has one (ImageNet), else `"test"`."""
    if name == "digits":
        return "test"
    if os.path.isdir(name):
        return "test" if os.path.isdir(os.path.join(name, "test")) else "validation"
    import tensorflow_datasets as tfds

    splits = tfds.builder(name, data_dir=data_dir).info.splits
    return "validation" if "validation" in splits else "test"
